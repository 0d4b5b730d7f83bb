package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"cunlu/app/sandbox"
)

// taskPages is where each practice task is practised: the shop page it starts on. A
// task id's prefix decides where this map has no entry (taskPage).
var taskPages = map[string]string{
	"buy-fertiliser-pickup": "/shop/search?category=farm",
	"buy-school-budget":     "/shop/search?category=school",
	"buy-track-order":       "/shop/orders",
	"buy-pickup-parcel":     "/shop/orders",
	"buy-return-damaged":    "/shop/orders",
	"buy-write-review":      "/shop/orders",
	"pay-set-pin":           "/shop/wallet",
	"pay-wallet-pin":        "/shop/wallet",
	"sell-ship-order":       "/shop/sell/orders",
	"sell-handle-return":    "/shop/sell/orders",
	"sell-answer-message":   "/shop/sell/messages",
	"sell-read-statement":   "/shop/sell/statement",
	"bill-pay-water":        "/shop/bills?kind=water",
	"bill-topup-phone":      "/shop/bills?kind=phone",
	"travel-refund-ticket":  "/shop/travel/tickets",
	"assist-log-help":       "/partner/villagers#assists",
	"assist-villager-order": "/shop/assist",
}

// taskPrefixPages is where the other tasks of each kind start.
var taskPrefixPages = map[string]string{
	"buy": "/shop/search", "pay": "/shop/search", "sell": "/shop/sell", "bill": "/shop/bills",
	"travel": "/shop/travel", "scam": "/shop/inbox", "assist": "/partner/villagers",
}

// practiceURL is the link that starts a practice task: its page, carrying the task and the
// lesson it was started from (from, "" when none), so that the shop can offer the way back
// once it is done. The lesson travels as "lesson", not "from": the travel page's search
// already uses "from" for the town a trip leaves from.
func practiceURL(task, from string) string {
	page, ok := taskPages[task]
	if !ok {
		kind, _, _ := strings.Cut(task, "-")
		if page, ok = taskPrefixPages[kind]; !ok {
			page = "/shop"
		}
	}
	if from == "" {
		return page
	}
	u, _ := url.Parse(page)
	q := u.Query()
	q.Set("task", task)
	q.Set("lesson", from)
	u.RawQuery = q.Encode()
	return u.String()
}

// practiceCookie keeps the task being practised and the lesson to return to, while the
// learner moves through the shop: "task|path", the path query-escaped.
const practiceCookie = "practice"

// practising is a practice task started from a lesson, for the shop pages' way back.
type practising struct {
	Task string
	From string // a path on this site
	Done bool
}

// lessonReturn reads the task and lesson a learner came from: from the query when they
// just tapped a task card (and then kept in a cookie for the next shop pages), else from
// the cookie. Only known tasks and lessons' paths on this site are taken; anything else is
// ignored.
func (s *Server) lessonReturn(c echo.Context) *practising {
	task, from := c.QueryParam("task"), c.QueryParam("lesson")
	if task != "" {
		p := validPractice(task, from)
		if p != nil {
			c.SetCookie(&http.Cookie{Name: practiceCookie, Value: p.Task + "|" + url.QueryEscape(p.From), Path: "/", MaxAge: 2 * 3600,
				HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
		}
		return p
	}
	ck, err := c.Cookie(practiceCookie)
	if err != nil {
		return nil
	}
	task, esc, _ := strings.Cut(ck.Value, "|")
	from, err = url.QueryUnescape(esc)
	if err != nil {
		return nil
	}
	return validPractice(task, from)
}

func validPractice(task, from string) *practising {
	if !sandbox.KnownTask(task) || !strings.HasPrefix(from, "/courses/") || safeNext(from) != from {
		return nil
	}
	return &practising{Task: task, From: from}
}
