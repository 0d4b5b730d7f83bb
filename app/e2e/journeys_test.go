package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cunlu/app/account"
	"cunlu/app/apptest"
	"cunlu/app/course"
	"cunlu/app/progress"
	"cunlu/app/sandbox"
)

// The three journeys of issue 8, each walked in Chinese and in English on a 360 px phone,
// with axe-core run on every page reached.

// learner finds a demo account by login and returns it as the progress service sees it.
func learner(t *testing.T, env *apptest.Env, login string) (account.User, progress.Learner) {
	t.Helper()
	var u account.User
	if err := env.App.Accounts.DB().Where("login = ?", login).Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	audience := course.AudiencePartner
	if u.Role == account.RoleVillager {
		audience = course.AudienceVillager
	}
	return u, progress.Learner{ID: u.ID, Name: u.Name, CentreID: *u.CentreID, Audience: audience}
}

// answers picks the right answers to a lesson's quiz, or for each question one wrong one.
func answers(l *course.Lesson, lang string, right bool) course.Answers {
	a := course.Answers{}
	for _, q := range l.In(lang).Quiz.Questions {
		for _, o := range q.Options {
			if o.Correct == right {
				a[q.ID] = append(a[q.ID], o.ID)
				if !right || q.Kind != course.Multiple {
					break
				}
			}
		}
	}
	return a
}

// trackParcel orders something to pick up and moves its tracking on three times, through the
// practice shop as the pages do.
func trackParcel(t *testing.T, env *apptest.Env, u account.User) {
	t.Helper()
	ctx := context.Background()
	o := sandbox.Owner{UserID: u.ID, CentreID: *u.CentreID}
	var p sandbox.Product
	if err := env.App.Accounts.DB().Where("stock > 0").Order("id").Take(&p).Error; err != nil {
		t.Fatal(err)
	}
	if err := env.App.Shop.AddToCart(ctx, o, p.ID, 1, false); err != nil {
		t.Fatal(err)
	}
	centre := func(_ context.Context, id uint) (bool, error) { return id == *u.CentreID, nil }
	order, err := env.App.Shop.Checkout(ctx, o, sandbox.CheckoutForm{Key: "journey-partner-parcel", Delivery: "pickup", Payment: "cash"}, centre)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := env.App.Shop.FastForward(ctx, o, order.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// plain is the text a browser shows for a bit of course HTML.
func plain(h string) string {
	return strings.TrimSpace(html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(h, "")))
}

// TestJourneyPartner: a partner signs in, reads the last lesson of a course, fails its
// quiz, reads the feedback and passes, does the practice task in the practice shop, earns
// the course certificate, and anyone can check it at /verify/{code} without signing in.
func TestJourneyPartner(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			ctx := context.Background()
			u, who := learner(t, env, "partner")
			c := env.App.Courses.Catalog().Course("spotting-scams")
			target := c.Lesson("franchise-deposit-scams")
			// The course's other lessons are behind her: the quizzes passed, the practice
			// tasks done, and a parcel tracked to the centre, which brings more messages into the
			// practice inbox as time passes there.
			for i, l := range c.LessonsFor(course.AudiencePartner) {
				if l == target {
					continue
				}
				for _, task := range l.Tasks {
					if err := env.App.Progress.CompleteTask(ctx, who, task, "journey set-up"); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := env.App.Progress.RecordAttempt(ctx, who, l, progress.Submission{Key: fmt.Sprintf("journey-partner-setup-%02d", i), Lang: lang, Answers: answers(l, lang, true)}); err != nil {
					t.Fatal(err)
				}
			}
			trackParcel(t, env, u)
			text := target.In(lang)
			j := newJourney(t, env.URL, lang)

			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			j.check("sign-in")
			signIn(t, j.ctx, env.URL, "partner", "demo-partner-pass")
			j.check("home")

			j.do("open the courses",
				chromedp.Click(css(`main a[href="/courses"]`)), // the home page's "all courses"; the tab bar's 学习 is the home
				chromedp.WaitVisible(css(`a[href="/courses/spotting-scams"]`)),
			)
			j.check("catalogue")
			j.do("open the course",
				chromedp.Click(css(`a[href="/courses/spotting-scams"]`)),
				chromedp.WaitVisible(css(`a[href="`+target.URL()+`"]`)),
			)
			j.check("course")
			j.do("open the lesson",
				chromedp.Click(css(`a[href="`+target.URL()+`"]`)),
				chromedp.WaitVisible(css(`#lesson-body`)),
			)
			j.must("the lesson", text.Title)
			j.check("lesson")

			// First try: one wrong answer to every question.
			quiz := func(a course.Answers) {
				t.Helper()
				for _, q := range text.Quiz.Questions {
					for _, o := range a[q.ID] {
						// By the option's text, as a person does: the form names options by place, not id.
						text, _ := json.Marshal(plain(string(q.Options[o[0]-'a'].Text)))
						j.eval("answer "+q.ID, fmt.Sprintf(`(() => { const i = [...document.querySelectorAll("form.quiz input[name=%s]")].find(i => i.parentElement.textContent.trim() === %s); i.click(); return i.value })()`, q.ID, text))
					}
				}
				j.do("submit the quiz", chromedp.Click(css(`form.quiz button[type=submit]`)))
				j.wait("the graded quiz", `document.querySelector("#result") !== null`)
			}
			quiz(answers(target, lang, false))
			if got := j.eval("read the result", `document.querySelector("#result").className`); got != "notice" {
				t.Fatalf("all answers wrong, yet the result is %q", got)
			}
			if n := get(t, j.ctx, "count feedback", chromedp.Evaluate[int](`[...document.querySelectorAll(".question.q-wrong")].filter(q => q.querySelector(".is-correct .why")).length`)); n != len(text.Quiz.Questions) {
				t.Errorf("feedback shows the right answer and why for %d of %d wrong questions", n, len(text.Quiz.Questions))
			}
			j.check("quiz failed")

			j.do("try again", chromedp.Click(css(`a.btn[href$="#quiz"]`)), chromedp.WaitVisible(css(`form.quiz`)))
			quiz(answers(target, lang, true))
			if got := j.eval("read the result", `document.querySelector("#result").className`); got != "flash" {
				t.Fatalf("all answers right, yet the result is %q", got)
			}
			j.check("quiz passed")
			if j.eval("find a certificate", `(document.querySelector('a[href^="/certificates/"]')||{}).href||""`) != "" {
				t.Fatal("a certificate before the practice task was done")
			}

			// The practice task: report the "franchise upgrade" call in the practice shop's inbox.
			j.do("open the practice inbox", chromedp.Navigate(env.URL+"/shop/inbox"), chromedp.WaitVisible(css(`ul.inbox`)))
			j.check("inbox")
			var m sandbox.ScamMessage
			if err := env.App.Accounts.DB().Where("user_id = ? AND scenario = ?", u.ID, "franchise-upgrade-call").Take(&m).Error; err != nil {
				t.Fatalf("the franchise call is not in the inbox: %v", err)
			}
			j.do("open the call",
				chromedp.Click(css(fmt.Sprintf(`a[href="/shop/inbox/%d"]`, m.ID))),
				chromedp.WaitVisible(css(`form.decide`)),
			)
			j.check("scam message")
			j.do("report it as a franchise scam",
				chromedp.SetValue(css(`#reason`), "franchise"),
				chromedp.Click(css(`form.decide button[value=reported]`)),
				chromedp.WaitVisible(css(`#outcome`)),
			)
			if cls := j.eval("read the outcome", `document.querySelector("#outcome").className`); !strings.Contains(cls, "good") {
				t.Fatalf("reporting the scam call gave outcome %q", cls)
			}
			j.check("scam reported")

			j.do("back to the lesson", chromedp.Navigate(env.URL+target.URL()), chromedp.WaitVisible(css(`#tasks li.done`)))
			j.do("open the certificate",
				chromedp.Click(css(`a[href^="/certificates/"]`)),
				chromedp.WaitVisible(css(`main`)),
			)
			j.wait("the certificate", `location.pathname.startsWith("/certificates/")`)
			code := strings.TrimPrefix(j.eval("read the code", `location.pathname`), "/certificates/")
			var centre account.Centre
			if err := env.App.Accounts.DB().Take(&centre, *u.CentreID).Error; err != nil {
				t.Fatal(err)
			}
			j.must("the certificate", u.Name, c.In(lang).Title, centre.Name)
			j.check("certificate")

			// Signed out, anyone (an employer, the county office) checks the code.
			j.do("sign out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`nav a[href="/login"]`)))
			j.do("verify", chromedp.Navigate(env.URL+"/verify/"+code), chromedp.WaitVisible(css(`main`)))
			j.must("the public check", u.Name, c.In(lang).Title)
			if strings.Contains(j.text(), u.PhoneNumber()) {
				t.Error("the public check shows the partner's phone number")
			}
			j.check("verify")
			j.do("verify a made-up code", chromedp.Navigate(env.URL+"/verify/"+strings.Repeat("a", 26)), chromedp.WaitVisible(css(`main`)))
			if strings.Contains(j.text(), u.Name) {
				t.Error("a made-up code shows a name")
			}
		})
	}
}

// TestJourneyVillager: at the centre's shared computer a villager signs in with phone
// number and PIN, buys a rice cooker to pick up at the centre, and hands the computer to
// the next person with "switch person", who sees none of the first person's things.
func TestJourneyVillager(t *testing.T) {
	search := map[string]string{"zh-CN": "电饭煲", "en": "rice cooker"}
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			first, _ := learner(t, env, "villager")
			j := newJourney(t, env.URL, lang)

			j.do("open the shared computer's sign-in", chromedp.Navigate(env.URL+"/login/pin"), chromedp.WaitVisible(css(`#pin`)))
			j.chooseLanguage()
			j.check("PIN sign-in")
			j.do("sign in with phone and PIN",
				chromedp.SendKeys(css("#phone"), first.PhoneNumber()),
				chromedp.SendKeys(css("#pin"), "135790"),
				chromedp.Click(css(`form[action="/login/pin"] button[type=submit]`)),
				chromedp.WaitVisible(css(`form[action="/switch-person"]`)),
			)
			j.check("home")

			j.do("search the shop",
				chromedp.Navigate(env.URL+"/shop"),
				chromedp.WaitVisible(css(`#q`)),
			)
			j.check("shop")
			j.do("search",
				chromedp.SendKeys(css("#q"), search[lang]),
				chromedp.Submit(css("#q")),
				chromedp.WaitVisible(css(`ul.products a.product`)),
			)
			j.check("search results")
			j.do("open the first result",
				chromedp.Click(css(`ul.products a.product`)),
				chromedp.WaitVisible(css(`form[action="/shop/cart"]`)),
			)
			j.check("product")
			j.do("add to cart",
				chromedp.Click(css(`form[action="/shop/cart"] button[type=submit]`)),
				chromedp.WaitVisible(css(`a[href="/shop/checkout"]`)),
			)
			j.check("cart")
			j.do("check out",
				chromedp.Click(css(`a[href="/shop/checkout"]`)),
				chromedp.WaitVisible(css(`input[name=delivery][value=pickup]`)),
			)
			j.check("checkout")
			j.do("pick up at the centre, pay cash there",
				chromedp.Click(css(`input[name=delivery][value=pickup]`)),
				chromedp.Click(css(`input[name=payment][value=cash]`)),
				chromedp.Click(css(`form[action="/shop/checkout"] button[type=submit]`)),
				chromedp.WaitVisible(css(`ol.timeline`)),
			)
			j.check("order")
			var orders []sandbox.Order
			if err := env.App.Accounts.DB().Where("user_id = ?", first.ID).Find(&orders).Error; err != nil {
				t.Fatal(err)
			}
			if len(orders) != 1 || orders[0].Delivery != "pickup" {
				t.Fatalf("orders after checkout: %+v", orders)
			}
			orderURL := fmt.Sprintf("/shop/orders/%d", orders[0].ID)

			j.do("switch person",
				chromedp.Click(css(`form[action="/switch-person"] button`)),
				chromedp.WaitVisible(css(`#pin`)),
			)
			j.wait("back at the PIN sign-in", `location.pathname === "/login/pin" && document.querySelector(".flash") !== null`)
			j.check("next person")
			if v := j.eval("read the phone field", `document.querySelector("#phone").value`); v != "" {
				t.Errorf("the next person finds the phone number %q filled in", v)
			}
			// The last person's order, by its address: the computer is signed out.
			j.do("open the last order", chromedp.Navigate(env.URL+orderURL))
			j.wait("the sign-in page", `location.pathname.startsWith("/login")`)
			if strings.Contains(j.eval("read the page", `document.body.innerText`), orders[0].PickupCode) {
				t.Errorf("after switching person the order's pickup code is still shown at %s", j.eval("where", `location.href`))
			}

			var next account.User
			if err := env.App.Accounts.DB().Where("phone = ?", "13800000002").Take(&next).Error; err != nil {
				t.Fatal(err)
			}
			j.do("the next person signs in",
				chromedp.Navigate(env.URL+"/login/pin"),
				chromedp.SendKeys(css("#phone"), next.PhoneNumber()),
				chromedp.SendKeys(css("#pin"), "135790"),
				chromedp.Click(css(`form[action="/login/pin"] button[type=submit]`)),
				chromedp.WaitVisible(css(`form[action="/switch-person"]`)),
			)
			j.do("their orders", chromedp.Navigate(env.URL+"/shop/orders"), chromedp.WaitVisible(css(`main`)))
			j.check("orders of the next person")
			if n := get(t, j.ctx, "count links", chromedp.Evaluate[int](`document.querySelectorAll('a[href="`+orderURL+`"]').length`)); n != 0 {
				t.Error("the next person sees the first person's order")
			}
			j.do("the first person's order, by address", chromedp.Navigate(env.URL+orderURL), chromedp.WaitVisible(css(`main`)))
			if strings.Contains(j.text(), orders[0].PickupCode) {
				t.Error("the next person opens the first person's order")
			}
		})
	}
}

// TestJourneyCoordinator: a county coordinator, on a phone, finds the partner who keeps
// failing a quiz, sees which question trips people up, assigns the course to that
// partner's centre with a due date, and exports the assignments for the county office.
func TestJourneyCoordinator(t *testing.T) {
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			ctx := context.Background()
			p, who := learner(t, env, "partner02")
			l := env.App.Courses.Catalog().Lesson("paying-safely", "wallet-basics")
			hard := l.In(lang).Quiz.Questions[0]
			// She answers the first question wrong three times, the rest right; two others
			// in the county trip on the same question once each.
			a := answers(l, lang, true)
			a[hard.ID] = answers(l, lang, false)[hard.ID]
			for i := 0; i < 3; i++ {
				if _, err := env.App.Progress.RecordAttempt(ctx, who, l, progress.Submission{Key: fmt.Sprintf("journey-coord-attempt-%d", i), Lang: lang, Answers: a}); err != nil {
					t.Fatal(err)
				}
			}
			for _, login := range []string{"partner03", "partner04"} {
				_, other := learner(t, env, login)
				if _, err := env.App.Progress.RecordAttempt(ctx, other, l, progress.Submission{Key: "journey-coord-" + login, Lang: lang, Answers: a}); err != nil {
					t.Fatal(err)
				}
			}
			var centre account.Centre
			if err := env.App.Accounts.DB().Take(&centre, *p.CentreID).Error; err != nil {
				t.Fatal(err)
			}
			j := newJourney(t, env.URL, lang)

			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "coordinator", "demo-coord-pass")
			j.check("county overview")

			j.do("open the alerts",
				chromedp.Click(css(`a[href^="/coord/alerts"]`)),
				chromedp.WaitVisible(css(`main h1`)),
			)
			j.wait("the alerts", `location.pathname === "/coord/alerts"`)
			j.check("alerts")
			j.must("the alerts", p.Name)
			j.do("open the struggling partner", chromedp.Click(css(fmt.Sprintf(`a[href^="/coord/partners/%d?"]`, p.ID))))
			j.wait("the partner page", fmt.Sprintf(`location.pathname === "/coord/partners/%d"`, p.ID))
			j.must("the partner page", p.Name, l.In(lang).Title)
			j.check("partner")

			j.do("open the difficult questions",
				chromedp.Click(css(`a[href^="/coord/questions"]`)),
				chromedp.WaitVisible(css(`select#course`)),
				chromedp.SetValue(css(`select#course`), "paying-safely"),
				chromedp.Submit(css(`select#course`)),
			)
			j.wait("the course's questions", `location.search.includes("course=paying-safely")`)
			j.check("difficult questions")
			prompt := plain(string(hard.Prompt))
			stat := j.eval("find the question", fmt.Sprintf(`([...document.querySelectorAll("section.question-stat")].find(s => s.querySelector("h2").innerText.trim() === %q)||{}).innerText||""`, prompt))
			if stat == "" {
				t.Fatalf("the difficult questions do not show %q:\n%s", prompt, j.text())
			}
			if !regexp.MustCompile(`\b5\b`).MatchString(stat) {
				t.Errorf("the question's card does not count the 5 wrong answers:\n%s", stat)
			}

			due := time.Now().AddDate(0, 0, 14).Format("2006-01-02")
			j.do("open the assignments",
				chromedp.Click(css(`a[href^="/coord/assignments"]`)),
				chromedp.WaitVisible(css(`form[action^="/coord/assignments"]`)),
			)
			j.check("assignments")
			j.do("assign the course to her centre",
				chromedp.SetValue(css(`select#course`), "paying-safely"),
				chromedp.SetValue(css(`select#target`), fmt.Sprintf("centre:%d", centre.ID)),
				chromedp.SetValue(css(`input#due`), due),
				chromedp.Click(css(`form[action^="/coord/assignments"] button[type=submit]`)),
				chromedp.WaitVisible(css(`.flash`)),
			)
			j.must("the assignments", l.Course.In(lang).Title, centre.Name, due)
			j.check("assigned")

			href := j.eval("find the export", `document.querySelector('a[href*="export.csv?table=assignments"]').getAttribute("href")`)
			csv := get(t, j.ctx, "download the export", chromedp.Evaluate[string](`fetch("`+href+`").then(r => r.arrayBuffer()).then(b => {
				const u = new Uint8Array(b); return (u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF ? "BOM:" : "") + new TextDecoder().decode(b) })`, chromedp.EvalAwaitPromise))
			if !strings.HasPrefix(csv, "BOM:") || !strings.Contains(csv, centre.Name) || !strings.Contains(csv, due) {
				t.Fatalf("the exported CSV:\n%s", csv)
			}
		})
	}
}

// TestJourneyGivenPassword: a partner whose password someone else chose signs in on a
// phone, is shown why they must choose their own, does it with the form, and the courses
// open. Each page is checked for width and accessibility, in Chinese and in English.
func TestJourneyGivenPassword(t *testing.T) {
	why := map[string]string{"zh-CN": "请先设一个你自己的密码", "en": "Choose your own password first"}
	for _, lang := range Languages {
		t.Run(lang, func(t *testing.T) {
			env := apptest.New(t)
			if err := env.App.Accounts.DB().Model(&account.User{}).Where("login = ?", "partner02").
				Update("must_change_password", true).Error; err != nil {
				t.Fatal(err)
			}
			j := newJourney(t, env.URL, lang)
			j.do("open the sign-in page", chromedp.Navigate(env.URL+"/login"))
			j.chooseLanguage()
			signIn(t, j.ctx, env.URL, "partner02", "demo-partner-pass")
			j.wait("the account page", `location.pathname === "/account"`)
			j.must("the account page", why[lang])
			j.check("choose a password")
			j.do("try the lessons first", chromedp.Click(css(`nav.tabbar a[href="/"]`)))
			j.wait("back on the account page", `location.pathname === "/account"`)
			j.do("choose a password",
				chromedp.SendKeys(css("#current"), "demo-partner-pass"),
				chromedp.SendKeys(css("#password"), "my-own-pass-0202"),
				chromedp.SendKeys(css("#confirm"), "my-own-pass-0202"),
				chromedp.Click(css(`form[action="/account/password"] button[type=submit]`)),
			)
			j.wait("the password saved", `location.pathname === "/account" && !document.querySelector("p.notice[role=status]")`)
			j.check("password chosen")
			j.do("open the courses",
				chromedp.Click(css(`nav.tabbar a[href="/"]`)),
				chromedp.WaitVisible(css(`main a[href="/courses"]`)),
				chromedp.Click(css(`main a[href="/courses"]`)),
				chromedp.WaitVisible(css(`a[href="/courses/spotting-scams"]`)),
			)
			j.check("catalogue")
		})
	}
}
