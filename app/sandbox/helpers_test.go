package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"cunlu/app/account"
	"cunlu/app/errs"
	"cunlu/app/progress"
	"cunlu/app/sandbox"
)

// testPIN is the payment PIN every fixture learner sets.
const testPIN = "739154"

// clock is a fake real-time clock that moves only when a test says so.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// world is a migrated database with the catalogue loaded, two village centres and a shop
// service on a fake clock, recording practice tasks in tasks. Learners are created on demand.
type world struct {
	ctx        context.Context
	g          *gorm.DB
	clock      *clock
	tasks      *tasks
	svc        *sandbox.Service
	centre     *account.Centre // where learners belong
	other      *account.Centre // another centre, for pickup elsewhere
	users, key atomic.Int64
}

func newWorld(t testing.TB, g *gorm.DB) *world {
	t.Helper()
	return newWorldWith(t, g, account.NewService(nil, account.Options{}))
}

func newWorldWith(t testing.TB, g *gorm.DB, secrets sandbox.Secrets) *world {
	t.Helper()
	w := &world{ctx: context.Background(), g: g, clock: &clock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}, tasks: &tasks{}}
	w.svc = sandbox.NewService(g, secrets, w.tasks, w.clock.Now)
	must(t, w.svc.LoadCatalog(w.ctx))
	w.centre = w.addCentre(t, "Alder", "/1/")
	w.other = w.addCentre(t, "Birch", "/2/")
	return w
}

func (w *world) addCentre(t testing.TB, name, path string) *account.Centre {
	t.Helper()
	now := w.clock.Now()
	r := account.Region{Level: account.LevelVillage, Name: name, Path: path, CreatedAt: now, UpdatedAt: now}
	must(t, w.g.Create(&r).Error)
	c := account.Centre{RegionID: r.ID, Name: name + " centre", CreatedAt: now, UpdatedAt: now}
	must(t, w.g.Create(&c).Error)
	return &c
}

// learner inserts an active account of role at the world's centre and returns its sandbox
// owner.
func (w *world) learner(t testing.TB, role account.Role) sandbox.Owner {
	t.Helper()
	n := w.users.Add(1)
	now := w.clock.Now()
	u := account.User{Login: fmt.Sprintf("learner-%d", n), Name: fmt.Sprintf("Learner %d", n), Role: role,
		CentreID: &w.centre.ID, Active: true, CreatedAt: now, UpdatedAt: now}
	must(t, w.g.Create(&u).Error)
	return sandbox.Owner{UserID: u.ID, CentreID: w.centre.ID}
}

// villager is a learner with a payment PIN set.
func (w *world) villager(t testing.TB) sandbox.Owner {
	t.Helper()
	o := w.learner(t, account.RoleVillager)
	w.setPIN(t, o)
	return o
}

func (w *world) setPIN(t testing.TB, o sandbox.Owner) {
	t.Helper()
	must(t, w.svc.SetPIN(w.ctx, o, "", testPIN, account.CheckPIN))
}

// product finds an active catalogue product by part of its Chinese name and its price.
func (w *world) product(t testing.TB, nameZh string, cents int64) *sandbox.Product {
	t.Helper()
	var p sandbox.Product
	err := w.g.Preload("Seller").Where("name_zh LIKE ? AND price_cents = ? AND active", "%"+nameZh+"%", cents).Take(&p).Error
	if err != nil {
		t.Fatalf("find product %s at %d cents: %v", nameZh, cents, err)
	}
	return &p
}

func (w *world) add(t testing.TB, o sandbox.Owner, p *sandbox.Product, qty int) {
	t.Helper()
	if err := w.svc.AddToCart(w.ctx, o, p.ID, qty, false); err != nil {
		t.Fatalf("add %d × %s: %v", qty, p.SKU, err)
	}
}

// newKey returns a fresh checkout idempotency key.
func (w *world) newKey() string { return fmt.Sprintf("test-checkout-%010d", w.key.Add(1)) }

// form returns a checkout form for the given delivery and payment with a fresh key (and
// the PIN and an address where they are needed).
func (w *world) form(delivery, payment string) sandbox.CheckoutForm {
	f := sandbox.CheckoutForm{Key: w.newKey(), Delivery: delivery, Payment: payment}
	if payment == sandbox.PaymentWallet {
		f.PIN = testPIN
	}
	if delivery == sandbox.DeliveryHome {
		f.Address = "北川村三组 12 号"
	}
	return f
}

// centreExists is the look-up Checkout needs.
func (w *world) centreExists(ctx context.Context, id uint) (bool, error) {
	var n int64
	err := w.g.WithContext(ctx).Model(&account.Centre{}).Where("id = ?", id).Count(&n).Error
	return n == 1, err
}

func (w *world) checkout(o sandbox.Owner, f sandbox.CheckoutForm) (*sandbox.Order, error) {
	return w.svc.Checkout(w.ctx, o, f, w.centreExists)
}

// buy puts qty of each product in the cart and checks out with f.
func (w *world) buy(t *testing.T, o sandbox.Owner, f sandbox.CheckoutForm, products ...*sandbox.Product) *sandbox.Order {
	t.Helper()
	for _, p := range products {
		w.add(t, o, p, 1)
	}
	ord, err := w.checkout(o, f)
	if err != nil {
		t.Fatalf("checkout: %v", err)
	}
	return ord
}

// arrive fast-forwards an order to its arrival and returns it as stored.
func (w *world) arrive(t *testing.T, o sandbox.Owner, orderID uint) *sandbox.Order {
	t.Helper()
	for range 3 {
		must(t, w.svc.FastForward(w.ctx, o, orderID))
	}
	ord, now, err := w.svc.Order(w.ctx, o, orderID)
	must(t, err)
	if st := ord.StageAt(now); st != sandbox.StageArrived {
		t.Fatalf("after three fast-forwards the stage is %d, want arrived", st)
	}
	return ord
}

func (w *world) wallet(t *testing.T, o sandbox.Owner) *sandbox.Wallet {
	t.Helper()
	wl, err := w.svc.Wallet(w.ctx, o)
	must(t, err)
	return wl
}

func (w *world) balance(t *testing.T, o sandbox.Owner) int64 {
	t.Helper()
	return w.wallet(t, o).BalanceCents
}

// left is the owner's stock of a product as the product page shows it.
func (w *world) left(t *testing.T, o sandbox.Owner, p *sandbox.Product) int {
	t.Helper()
	pp, err := w.svc.ProductPage(w.ctx, o, p.ID)
	must(t, err)
	return pp.Left
}

func (w *world) cart(t *testing.T, o sandbox.Owner) map[uint]int {
	t.Helper()
	items, err := w.svc.Cart(w.ctx, o)
	must(t, err)
	out := map[uint]int{}
	for _, it := range items {
		out[it.ProductID] = it.Qty
	}
	return out
}

// count counts the rows of a sandbox table that belong to a user.
func (w *world) count(t *testing.T, table string, userID uint) int64 {
	t.Helper()
	var n int64
	must(t, w.g.Table(table).Where("user_id = ?", userID).Count(&n).Error)
	return n
}

func (w *world) events(t *testing.T, userID uint, kind string) int64 {
	t.Helper()
	var n int64
	must(t, w.g.Model(&sandbox.Event{}).Where("user_id = ? AND kind = ?", userID, kind).Count(&n).Error)
	return n
}

// forceStock sets a learner's own stock of a product, as if others had bought it.
func (w *world) forceStock(t testing.TB, o sandbox.Owner, p *sandbox.Product, stock int) {
	t.Helper()
	must(t, w.g.Exec(`INSERT INTO sandbox_stock (user_id, product_id, stock) VALUES (?, ?, ?)
		ON CONFLICT (user_id, product_id) DO UPDATE SET stock = excluded.stock`, o.UserID, p.ID, stock).Error)
}

// checkMoney asserts the money invariant of every wallet as stored: the balance is the
// starting balance less what was paid from the wallet plus what was refunded into it, and it is
// the starting balance plus the sum of the wallet's ledger.
func (w *world) checkMoney(t *testing.T) {
	t.Helper()
	var wallets []sandbox.Wallet
	must(t, w.g.Find(&wallets).Error)
	if len(wallets) == 0 {
		t.Fatal("no wallets to check")
	}
	for _, wl := range wallets {
		var paid, refunded, ledger int64
		must(t, w.g.Model(&sandbox.Order{}).Where("user_id = ? AND payment = ?", wl.UserID, sandbox.PaymentWallet).
			Select("COALESCE(SUM(total_cents), 0)").Scan(&paid).Error)
		must(t, w.g.Model(&sandbox.Aftersale{}).Where("user_id = ? AND refund_to = ? AND refunded_at IS NOT NULL", wl.UserID, sandbox.RefundWallet).
			Select("COALESCE(SUM(amount_cents), 0)").Scan(&refunded).Error)
		must(t, w.g.Model(&sandbox.LedgerEntry{}).Where("user_id = ?", wl.UserID).
			Select("COALESCE(SUM(amount_cents), 0)").Scan(&ledger).Error)
		if want := sandbox.StartBalance - paid + refunded; wl.BalanceCents != want {
			t.Errorf("user %d: balance %d, want start − paid %d + refunded %d = %d", wl.UserID, wl.BalanceCents, paid, refunded, want)
		}
		if want := sandbox.StartBalance + ledger; wl.BalanceCents != want {
			t.Errorf("user %d: balance %d, want start + ledger %d = %d", wl.UserID, wl.BalanceCents, ledger, want)
		}
	}
}

// tasks stands in for the progress service: a task is open until it is done (or, with
// open set, those tasks and no others, done or not), and a done task is a task_completions
// row written in the transaction of the operation that completed it.
type tasks struct {
	mu    sync.Mutex
	open  []string  // nil: every task in sandbox.TaskIDs
	fail  string    // a task whose recording fails
	since time.Time // when the learner opened the tasks' lessons (zero: long ago)
}

// openedAt has the learner open every task's lesson at t.
func (p *tasks) openedAt(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.since = t
}

func (p *tasks) set(open []string, fail string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open, p.fail = open, fail
}

func (p *tasks) OpenTasks(tx *gorm.DB, userID uint) (map[string]time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Time{}
	if p.open != nil {
		for _, id := range p.open {
			out[id] = p.since
		}
		return out, nil
	}
	var done []string
	if err := tx.Model(&progress.TaskCompletion{}).Where("user_id = ?", userID).Pluck("task_id", &done).Error; err != nil {
		return nil, err
	}
	for _, id := range sandbox.TaskIDs {
		if !slices.Contains(done, id) {
			out[id] = p.since
		}
	}
	return out, nil
}

var errRecording = errors.New("recording the task failed")

func (p *tasks) CompleteTaskTx(tx *gorm.DB, userID uint, taskID, evidence string) error {
	p.mu.Lock()
	fail := p.fail == taskID
	p.mu.Unlock()
	if fail {
		return errRecording
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&progress.TaskCompletion{UserID: userID, TaskID: taskID, Evidence: evidence, CompletedAt: time.Now()}).Error
}

// done returns the evidence of a task the user completed, and whether they did.
func (w *world) done(t testing.TB, userID uint, taskID string) (string, bool) {
	t.Helper()
	var tc []progress.TaskCompletion
	must(t, w.g.Where("user_id = ? AND task_id = ?", userID, taskID).Find(&tc).Error)
	if len(tc) == 0 {
		return "", false
	}
	return tc[0].Evidence, true
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr fails the test unless err is an *errs.Error with the given code and, when key
// is not "", the given message key.
func wantErr(t *testing.T, err error, code errs.Code, key string) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != code || (key != "" && e.Key != key) {
		t.Fatalf("err = %v, want %s %s", err, code, key)
	}
	return e
}
