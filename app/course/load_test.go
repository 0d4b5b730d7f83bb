package course_test

import (
	"html/template"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"cunlu/app/course"
)

// goodFS is a clean two-language catalogue that uses every feature: course c (for everyone)
// with lesson l (villagers; links, an image, raw HTML, a quiz of every kind) and lesson m
// (partners; a prerequisite, a task, pass: 2), and course other (partners) with lesson x.
func goodFS() fstest.MapFS {
	lBody := map[string]string{
		zh: "## 第一节\n\n先读[下一课](m.md)，再看[付款](../other/x.md)和[第二节](m.md#part)。\n\n" +
			"![购物车](images/x.svg)\n\n<script>alert(1)</script>\n\n一段<b>粗</b>话，[课程](course.md)，[网站](https://example.com)。\n",
		en: "## Part one\n\nRead [the next lesson](m.md), then [paying](../other/x.md) and [part two](m.md#part).\n\n" +
			"![A cart](images/x.svg)\n\n<script>alert(1)</script>\n\nSome <b>bold</b> words, [course](course.md), [web](https://example.com).\n",
	}
	lQuiz := map[string][]string{
		zh: {
			question("王大妈买化肥，**最省钱**的是哪种？", "运费要看收货方式。\n",
				right("服务站自提", "**对**。见[下一课](m.md)。"), wrong("送货上门", "要多付运费。"), wrong("先发货再说", "要先选收货方式。")),
			question("哪些做法能避开差评多的卖家？", right("看店铺评分", "对。"), right("看带图的评价", "对。"), wrong("只看价格", "太便宜往往有问题。")),
			question("取件时要把取件码告诉站长。", right("对", "对。取件码证明包裹是你的。"), wrong("错", "取件码就是用来取件的。")),
		},
		en: {
			question("Which is **cheapest** for Auntie Wang's fertiliser?", "Shipping depends on delivery.\n",
				right("Pickup at the centre", "**Right**. See [the next lesson](m.md)."), wrong("Home delivery", "Costs more."), wrong("Ship first", "Choose delivery first.")),
			question("Which help you avoid bad sellers?", right("Shop rating", "Right."), right("Reviews with photos", "Right."), wrong("Only price", "Too cheap is suspicious.")),
			question("Tell the pickup code to the keeper.", right("True", "Right. It proves the parcel is yours."), wrong("False", "That is what it is for.")),
		},
	}
	fsys := merge(
		courseFiles("c", body("从[第一课](l.md)开始。\n")),
		courseFiles("other", set("order", "2"), set("audience", "[partner]")),
		both("other", "x", set("audience", "[partner]")),
		fstest.MapFS{"c/images/x.svg": file(svg)},
	)
	for _, lang := range []string{zh, en} {
		fsys["c/l."+lang+".md"] = file(lessonMD(lang, set("audience", "[villager]"), body(lBody[lang]), quiz(lQuiz[lang]...)))
		fsys["c/m."+lang+".md"] = file(lessonMD(lang, set("order", "2"), set("minutes", "12"), set("audience", "[partner]"),
			set("prerequisites", "[l]"), set("tasks", "[buy-first-order]"), del("no_task"), set("pass", "2"),
			body(pick(lang, "## 第二节 {#part}\n\n内容。\n", "## Part two {#part}\n\nText.\n"))))
	}
	return fsys
}

func TestLoadGoodCatalog(t *testing.T) {
	cat := mustLoad(t, goodFS())

	if got := slugs(cat.Courses); !slices.Equal(got, []string{"c", "other"}) {
		t.Fatalf("courses = %v, want [c other] in order", got)
	}
	if cat.LessonCount() != 3 {
		t.Errorf("LessonCount = %d, want 3", cat.LessonCount())
	}
	c, other := cat.Course("c"), cat.Course("other")
	if cat.Course("nope") != nil || cat.Lesson("nope", "l") != nil || cat.Lesson("c", "nope") != nil {
		t.Error("unknown slugs found something")
	}
	l, m := cat.Lesson("c", "l"), cat.Lesson("c", "m")
	if l == nil || m == nil || c.Lesson("l") != l || other.Lesson("x") == nil {
		t.Fatal("lessons not found by slug")
	}
	if got := lessonSlugs(c.Lessons); !slices.Equal(got, []string{"l", "m"}) {
		t.Errorf("lessons of c = %v, want [l m]", got)
	}

	t.Run("course", func(t *testing.T) {
		if c.Order != 1 || other.Order != 2 || !slices.Equal(other.Audience, []string{"partner"}) {
			t.Errorf("c order %d, other order %d audience %v", c.Order, other.Order, other.Audience)
		}
		if !c.For(course.AudienceVillager) || other.For(course.AudienceVillager) || !other.For(course.AudiencePartner) {
			t.Error("Course.For: want c for villagers, other only for partners")
		}
		if c.In(en).Title != "Course" || c.In(zh).Title != "课程" || c.In("fr") != c.In(zh) {
			t.Errorf("course titles: en %q, zh %q; unknown language must fall back to zh-CN", c.In(en).Title, c.In(zh).Title)
		}
		if !strings.Contains(string(c.In(zh).Intro), `href="/courses/c/l"`) {
			t.Errorf("course intro link not rewritten: %s", c.In(zh).Intro)
		}
	})

	t.Run("lesson front matter", func(t *testing.T) {
		if l.Key() != "c/l" || l.URL() != "/courses/c/l" || l.Course != c {
			t.Errorf("Key %q URL %q", l.Key(), l.URL())
		}
		if m.Order != 2 || m.Minutes != 12 || !slices.Equal(m.Audience, []string{"partner"}) ||
			!slices.Equal(m.Prerequisites, []string{"l"}) || !slices.Equal(m.Tasks, []string{"buy-first-order"}) || m.Pass != 2 {
			t.Errorf("m = order %d minutes %d audience %v prerequisites %v tasks %v pass %d",
				m.Order, m.Minutes, m.Audience, m.Prerequisites, m.Tasks, m.Pass)
		}
		if l.Prerequisites == nil || len(l.Prerequisites) != 0 || len(l.Tasks) != 0 || l.Pass != 0 {
			t.Errorf("l: prerequisites %#v tasks %#v pass %d, want empty lists and 0", l.Prerequisites, l.Tasks, l.Pass)
		}
		if l.In(zh).Title != "标题" || l.In(en).Title != "Title" || l.In(en).Summary != "Summary" || l.In("fr") != l.In(zh) {
			t.Errorf("lesson titles: zh %q, en %q", l.In(zh).Title, l.In(en).Title)
		}
	})

	t.Run("audience", func(t *testing.T) {
		if got := lessonSlugs(c.LessonsFor(course.AudienceVillager)); !slices.Equal(got, []string{"l"}) {
			t.Errorf("villager sees %v, want [l]", got)
		}
		if got := lessonSlugs(c.LessonsFor(course.AudiencePartner)); !slices.Equal(got, []string{"l", "m"}) {
			t.Errorf("partner sees %v, want [l m]", got)
		}
		if got := c.LessonsFor("stranger"); len(got) != 0 {
			t.Errorf("unknown audience sees %v", lessonSlugs(got))
		}
		if !l.For(course.AudiencePartner) || !l.For(course.AudienceVillager) || m.For(course.AudienceVillager) {
			t.Error("Lesson.For: partners see every lesson, villagers only theirs")
		}
	})

	t.Run("pass mark", func(t *testing.T) {
		if got := m.PassMark(); got != 2 {
			t.Errorf("m (pass: 2) PassMark = %d, want 2", got)
		}
		if got := l.PassMark(); got != 3 {
			t.Errorf("l (no pass) PassMark = %d, want all 3", got)
		}
		big := &course.Lesson{Pass: 9, Text: l.Text}
		if got := big.PassMark(); got != 3 {
			t.Errorf("pass larger than the quiz: PassMark = %d, want 3", got)
		}
	})

	for _, lang := range []string{zh, en} {
		t.Run("quiz "+lang, func(t *testing.T) {
			qs := l.In(lang).Quiz.Questions
			if len(qs) != 3 {
				t.Fatalf("%d questions, want 3", len(qs))
			}
			wantKinds := []course.Kind{course.Single, course.Multiple, course.TrueFalse}
			wantRight := [][]bool{{true, false, false}, {true, true, false}, {true, false}}
			for i, q := range qs {
				if q.ID != "q"+string(rune('1'+i)) || q.Kind != wantKinds[i] {
					t.Errorf("question %d: id %q kind %q, want q%d %q", i+1, q.ID, q.Kind, i+1, wantKinds[i])
				}
				var ids []string
				var rights []bool
				for _, o := range q.Options {
					ids = append(ids, o.ID)
					rights = append(rights, o.Correct)
					if !strings.HasPrefix(string(o.Explanation), "<p>") || strings.Contains(string(o.Text), "[") {
						t.Errorf("question %d option %s: text %q explanation %q", i+1, o.ID, o.Text, o.Explanation)
					}
				}
				if want := []string{"a", "b", "c"}[:len(q.Options)]; !slices.Equal(ids, want) {
					t.Errorf("question %d option ids %v, want %v", i+1, ids, want)
				}
				if !slices.Equal(rights, wantRight[i]) {
					t.Errorf("question %d right options %v, want %v", i+1, rights, wantRight[i])
				}
			}
			q1 := qs[0]
			if !strings.Contains(string(q1.Prompt), "<strong>") || strings.HasPrefix(string(q1.Prompt), "<h3") {
				t.Errorf("prompt %q: want inline HTML without the heading tag", q1.Prompt)
			}
			if !strings.HasPrefix(string(q1.Context), "<p>") || !strings.Contains(string(q1.Context), pick(lang, "运费", "Shipping")) {
				t.Errorf("context %q", q1.Context)
			}
			if x := string(q1.Options[0].Explanation); !strings.Contains(x, "<strong>") || !strings.Contains(x, `href="/courses/c/m"`) {
				t.Errorf("explanation %q: want rendered Markdown with the link rewritten", x)
			}
			if got := qs[2].Options[0].Text; got != template.HTML(pick(lang, "对", "True")) {
				t.Errorf("true/false option text %q", got)
			}
		})

		t.Run("body "+lang, func(t *testing.T) {
			b := string(l.In(lang).Body)
			for _, s := range []string{
				`href="/courses/c/m"`, `href="/courses/other/x"`, `href="/courses/c/m#part"`, `href="/courses/c"`,
				`href="https://example.com"`, `src="/courses/c/images/x.svg"`, pick(lang, `alt="购物车"`, `alt="A cart"`),
			} {
				if !strings.Contains(b, s) {
					t.Errorf("body lacks %s:\n%s", s, b)
				}
			}
			for _, s := range []string{"<script", "<b>", "quiz", pick(lang, "小测验", "Quiz"), pick(lang, "服务站自提", "Pickup at the centre"), "[x]"} {
				if strings.Contains(b, s) {
					t.Errorf("body has %q:\n%s", s, b)
				}
			}
			if n := l.In(lang).Bytes; n <= len(svg) {
				t.Errorf("Bytes = %d, want more than the image's %d", n, len(svg))
			}
			if n := m.In(lang).Bytes; n <= 0 || n >= l.In(lang).Bytes {
				t.Errorf("m Bytes = %d, want > 0 and less than l's %d (no image)", n, l.In(lang).Bytes)
			}
		})
	}
}

// A javascript: link is reported, and the page never carries it as a link.
func TestJavascriptLinkNotEmitted(t *testing.T) {
	fsys := withBase(bothLesson(body("## 一\n\n点[这里](javascript:alert(1))或 <javascript:alert(3)>。\n"),
		quiz(question("单选题？", right("甲", "点[这里](javascript:alert(2))"), wrong("乙", "乙错。")), q2, q3)))
	cat, findings := load(t, fsys, nil)
	if len(findings) != 6 {
		t.Errorf("findings = %v, want the three javascript: links in both files", findings)
	}
	l := cat.Lesson("c", "l")
	for _, h := range []string{string(l.In(zh).Body), string(l.In(zh).Quiz.Questions[0].Options[0].Explanation)} {
		if strings.Contains(strings.ToLower(h), `href="javascript`) {
			t.Errorf("javascript: link emitted: %s", h)
		}
	}
	if b := string(l.In(zh).Body); !strings.Contains(b, `<a href="#">这里</a>`) || !strings.Contains(b, "或 javascript:alert(3)。") {
		t.Errorf("want the links' words kept as text: %s", b)
	}
}

// Options are a, b, c… by position; masks are bit sets of them.
func TestQuestionMask(t *testing.T) {
	cat := mustLoad(t, baseFS())
	q := cat.Lesson("c", "l").In(zh).Quiz.Questions[1] // a and b right, c wrong
	if got := q.CorrectMask(); got != 0b011 {
		t.Errorf("CorrectMask = %03b, want 011", got)
	}
	for _, tt := range []struct {
		ids  []string
		mask uint8
		ok   bool
	}{
		{nil, 0, true},
		{[]string{"a"}, 0b001, true},
		{[]string{"c", "a"}, 0b101, true},
		{[]string{"a", "a"}, 0b001, true},
		{[]string{"d"}, 0, false},
		{[]string{"A"}, 0, false},
		{[]string{""}, 0, false},
		{[]string{"ab"}, 0, false},
		{[]string{"a", "z"}, 0, false},
	} {
		mask, ok := q.Mask(tt.ids)
		if mask != tt.mask || ok != tt.ok {
			t.Errorf("Mask(%q) = %03b, %v; want %03b, %v", tt.ids, mask, ok, tt.mask, tt.ok)
		}
	}
}

func slugs(cs []*course.Course) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Slug)
	}
	return out
}

func lessonSlugs(ls []*course.Lesson) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Slug)
	}
	return out
}
