package e2e

import (
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunlu/app/apptest"
)

// TestSellingJourney: a partner opens a practice shop, lists kiwi fruit with a photo taken
// on the phone, waits for a simulated buyer, then accepts, packs and ships the order.
func TestSellingJourney(t *testing.T) {
	env := apptest.New(t)
	ctx := Browser(t, 360, 800)
	photo := filepath.Join(t.TempDir(), "kiwi.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for y := 0; y < 1200; y++ {
		for x := 0; x < 1600; x++ {
			img.Set(x, y, color.RGBA{uint8(90 + x%80), uint8(120 + y%60), 50, 255})
		}
	}
	f, err := os.Create(photo)
	if err != nil {
		t.Fatal(err)
	}
	jpeg.Encode(f, img, &jpeg.Options{Quality: 90})
	f.Close()

	signIn(t, ctx, env.URL, "partner", "demo-partner-pass")
	env.OpenLessons(t, "partner")
	do(t, ctx, "open a shop",
		chromedp.Navigate(env.URL+"/shop/sell"),
		chromedp.SendKeys(css(`form[action="/shop/sell/shop"] [name=name]`), "李叔的猕猴桃"),
		chromedp.SendKeys(css(`form[action="/shop/sell/shop"] [name=description]`), "自家果园，现摘现发"),
		chromedp.Submit(css(`form[action="/shop/sell/shop"] [name=name]`)),
		chromedp.WaitVisible(css(`form[action="/shop/sell/wait"]`)),
	)
	do(t, ctx, "list a product with a photo",
		chromedp.Navigate(env.URL+"/shop/sell/listings/new"),
		chromedp.SendKeys(css(`[name=title]`), "红心猕猴桃 5斤装 约20个"),
		chromedp.SendKeys(css(`[name=description]`), "自家果园，今早现摘，一箱5斤，坏果包赔。"),
		chromedp.SetValue(css(`[name=price]`), "39.9"),
		chromedp.SetValue(css(`[name=shipping]`), "8"),
		chromedp.SetValue(css(`[name=stock]`), "20"),
		chromedp.SetUploadFiles(css(`input[type=file][name=photo]`), []string{photo}),
		chromedp.Submit(css(`[name=title]`)),
		chromedp.WaitVisible(css(`.flash`)),
	)
	if src := get(t, ctx, "photo shown", chromedp.Evaluate[string](`(document.querySelector('img[src^="/shop/sell/photos/"]')||{}).src||""`)); src == "" {
		t.Fatal("the listing page shows no uploaded photo")
	}
	do(t, ctx, "wait for buyers",
		chromedp.Navigate(env.URL+"/shop/sell"),
		chromedp.Click(css(`form[action="/shop/sell/wait"] button`)),
		chromedp.WaitVisible(css(`form[action^="/shop/sell/orders/"]:has(input[value=accept]) button`)),
	)
	for _, step := range []string{"accept", "pack"} {
		next := map[string]string{"accept": "pack", "pack": "ship"}[step]
		do(t, ctx, step, chromedp.Click(css(`form[action^="/shop/sell/orders/"]:has(input[value=`+step+`]) button`)))
		waitFor(t, ctx, next, `!!document.querySelector('form[action^="/shop/sell/orders/"] input[value=`+next+`]')`)
	}
	do(t, ctx, "ship with a tracking number",
		chromedp.SendKeys(css(`form[action^="/shop/sell/orders/"]:has(input[value=ship]) [name=tracking]`), "SF1234567890"),
		chromedp.Click(css(`form[action^="/shop/sell/orders/"]:has(input[value=ship]) button`)),
	)
	waitFor(t, ctx, "shipping", `document.body.innerText.includes("SF1234567890")`)
	if body := get(t, ctx, "read sales", chromedp.Text(css("main"))); !strings.Contains(body, "SF1234567890") {
		t.Fatalf("the shipped order does not show its tracking number:\n%s", body)
	}
	if width := get(t, ctx, "measure", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); width > 360 {
		t.Errorf("sales page is %d px wide on a 360 px screen", width)
	}
	var n int64
	env.App.Accounts.DB().Table("task_completions").Where("task_id IN ?", []string{"sell-open-shop", "sell-list-product", "sell-ship-order"}).Count(&n)
	if n != 3 {
		t.Errorf("%d of the 3 selling tasks recorded", n)
	}
}
