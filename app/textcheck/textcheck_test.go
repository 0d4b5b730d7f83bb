package textcheck_test

import (
	"errors"
	"fmt"
	"testing"

	"cunlu/app/errs"
	"cunlu/app/textcheck"
)

// Spoofs are the characters both checks refuse: every Unicode direction control.
var spoofs = []rune{0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069}

// invisibles are the other invisible characters a name may not hold (free text may).
var invisibles = []rune{0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x3164, 0xE0041}

func TestNameAndText(t *testing.T) {
	type tc struct {
		v    string
		want string // the error's key, or "" for none
	}
	names := []tc{{"张三", ""}, {"Wang Lei", ""}, {"李家果园 🍎", ""}, {"", ""}, {"O'Brien-Núñez", ""},
		{"张\x00三", "error.text_invalid"}, {"张\n三", "error.text_invalid"}, {"张\x1b[31m三", "error.text_invalid"}, {"张\xff三", "error.text_invalid"}}
	texts := []tc{{"颗粒干爽，好用。\n下次还买", ""}, {"我是果农 \U0001F468\u200d\U0001F33E", ""}, {"价格 ¥39.9", ""}, {"a\u200bb", ""},
		{"好\x00用", "error.text_invalid"}, {"好\xff用", "error.text_invalid"}}
	for _, r := range spoofs {
		names = append(names, tc{fmt.Sprintf("老李%c果园", r), "error.text_invisible"})
		texts = append(texts, tc{fmt.Sprintf("价格 %c99.3¥ 电话 138", r), "error.text_invisible"})
	}
	for _, r := range invisibles {
		names = append(names, tc{fmt.Sprintf("张%c三", r), "error.text_invisible"})
	}
	for _, c := range []struct {
		name  string
		fn    func(field, v string) error
		cases []tc
	}{{"Name", textcheck.Name, names}, {"Text", textcheck.Text, texts}} {
		for _, tc := range c.cases {
			err := c.fn("title", tc.v)
			var e *errs.Error
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s(%+q) = %v, want nil", c.name, tc.v, err)
			case tc.want != "" && (!errors.As(err, &e) || e.Code != errs.Invalid || e.Key != tc.want || e.Field != "title"):
				t.Errorf("%s(%+q) = %v, want %s on title", c.name, tc.v, err, tc.want)
			}
		}
	}
}
