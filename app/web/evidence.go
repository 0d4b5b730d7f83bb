package web

import "strings"

// evidenceKinds maps the start of a practice task's evidence, as the sandbox stores it
// ("order CL2612000001", "listing #3"), to the message that says it in the reader's
// language. The reference is shown only where a person can recognise it (an order number,
// a receipt), never a database id.
var evidenceKinds = []struct{ prefix, key string }{
	{"order ", "evidence.order"},
	{"review #", "evidence.review"},
	{"listing #", "evidence.listing"},
	{"tracking ", "evidence.tracking"},
	{"message #", "evidence.message"},
	{"sale #", "evidence.sale"},
	{"assist log #", "evidence.assist"},
	{"receipt ", "evidence.receipt"},
	{"ticket ", "evidence.ticket"},
	{"reported ", "evidence.reported"},
}

// evidenceText says what a learner did to complete a practice task; evidence it does not
// know (demo data) is left out rather than shown in another language.
func evidenceText(tr *Translator, ev string) string {
	if ev == "PIN" {
		return tr.T("evidence.pin")
	}
	for _, k := range evidenceKinds {
		if ref, ok := strings.CutPrefix(ev, k.prefix); ok {
			return tr.T(k.key, "Ref", ref)
		}
	}
	return ""
}

// Evidence is evidenceText for templates: {{$.Evidence .Evidence}}.
func (p *Page) Evidence(ev string) string { return evidenceText(p.Translator, ev) }
