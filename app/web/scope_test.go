package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cunlu/app/account"
	"cunlu/app/apptest"
)

func TestCoordinatorSeesOnlyTheirRegion(t *testing.T) {
	env := apptest.New(t)
	qingshan := regionID(t, env, "青山镇")
	qingshui := regionID(t, env, "清水镇")
	county := regionID(t, env, "示范县")
	liuhe := regionID(t, env, "柳河村")
	_, err := env.App.Accounts.CreateAccount(context.Background(), admin(t, env), account.AccountForm{
		Login: "qingshan-coord", Name: "青山镇辅导员", Role: account.RoleCoordinator, RegionID: qingshan, Password: "qingshan-coord-pass"})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t)
	c.SignIn("qingshan-coord", "qingshan-coord-pass")
	c.ChooseOwnPassword("qingshan-coord-pass", "qingshan-own-pass")

	home := c.Get("/coord")
	if home.Status != http.StatusOK {
		t.Fatalf("/coord: %d", home.Status)
	}
	// Demo partners are spread round-robin over the four centres: 桃园 and 石桥 are in 青山镇.
	for _, want := range []string{"桃园村服务站", "石桥村服务站", "李娜", "王磊"} {
		if !strings.Contains(home.Body, want) {
			t.Errorf("township page lacks %q", want)
		}
	}
	for _, notWant := range []string{"柳河村服务站", "茶岭村服务站", "张敏", "刘洋"} {
		if strings.Contains(home.Body, notWant) {
			t.Errorf("township coordinator sees %q from another township", notWant)
		}
	}
	for _, id := range []uint{qingshui, county, liuhe, 99999} {
		if r := c.Get(fmt.Sprintf("/coord?region=%d", id)); r.Status != http.StatusNotFound {
			t.Errorf("region %d outside scope: status %d, want 404", id, r.Status)
		}
	}
	// The county coordinator sees both townships and can drill down into either.
	cc := env.Client(t)
	cc.SignIn("coordinator", "demo-coord-pass")
	county1 := cc.Get("/coord")
	for _, want := range []string{"青山镇", "清水镇", "李娜", "张敏"} {
		if !strings.Contains(county1.Body, want) {
			t.Errorf("county page lacks %q", want)
		}
	}
	down := cc.Get(fmt.Sprintf("/coord?region=%d", liuhe))
	if down.Status != http.StatusOK || !strings.Contains(down.Body, "柳河村服务站") || strings.Contains(down.Body, "桃园村服务站") {
		t.Errorf("drill-down to 柳河村 wrong: %d", down.Status)
	}
}

func TestPartnerRegistersVillagersOnlyAtOwnCentre(t *testing.T) {
	env := apptest.New(t)
	own := centreID(t, env, "桃园村服务站")
	other := centreID(t, env, "石桥村服务站")
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")

	r := c.Post("/partner/villagers", url.Values{"name": {"外村人"}, "phone": {"13911112222"}, "pin": {"246813"}, "centre_id": {fmt.Sprint(other)}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("other centre: status %d, want 403", r.Status)
	}
	if n := countRows(t, env, "users", "phone = ?", "13911112222"); n != 0 {
		t.Fatalf("refused registration wrote %d rows", n)
	}

	bad := []struct {
		name, phone, pin, wantMsg string
	}{
		{"", "13911113333", "246813", "必须填"},
		{"赵大爷", "12345", "246813", "手机号不对"},
		{"赵大爷", "13911113333", "123456", "太容易猜"},
		{"赵大爷", "13800000002", "246813", "已经登记过"},
	}
	for _, b := range bad {
		r := c.Post("/partner/villagers", url.Values{"name": {b.name}, "phone": {b.phone}, "pin": {b.pin}, "centre_id": {fmt.Sprint(own)}})
		if r.Status != http.StatusBadRequest && r.Status != http.StatusConflict {
			t.Errorf("%+v: status %d, want 400/409", b, r.Status)
		}
		if !strings.Contains(r.Body, b.wantMsg) {
			t.Errorf("%+v: page lacks %q", b, b.wantMsg)
		}
		if strings.Contains(r.Body, `value="`+b.pin+`"`) {
			t.Errorf("%+v: the PIN was echoed back into the form", b)
		}
	}
	if n := countRows(t, env, "users", "phone = ?", "13911113333"); n != 0 {
		t.Fatalf("invalid registrations wrote %d rows", n)
	}

	r = c.Post("/partner/villagers", url.Values{"name": {"赵大爷"}, "phone": {"139 1111 3333"}, "pin": {"246813"}, "centre_id": {fmt.Sprint(own)}})
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "赵大爷的登录卡") || !strings.Contains(r.Body, "已登记") {
		t.Fatalf("own centre: status %d, want the hand-over slip with a confirmation\n%s", r.Status, r.Body)
	}
	if list := c.Get("/partner/villagers"); !strings.Contains(list.Body, "赵大爷") {
		t.Error("registered villager not listed")
	}
	// The new villager signs in with the PIN the partner set.
	v := env.Client(t)
	if r := v.Post("/login/pin", url.Values{"phone": {"13911113333"}, "pin": {"246813"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("new villager PIN sign-in: %d", r.Status)
	}
	// A partner of another centre does not see them.
	o := env.Client(t)
	o.SignIn("partner02", "demo-partner-pass")
	if strings.Contains(o.Get("/partner/villagers").Body, "赵大爷") {
		t.Error("a partner of another centre sees the villager")
	}
}
