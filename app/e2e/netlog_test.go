package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// wire is a server in front of Cunlu that counts every byte it sends (headers included,
// as they go on the wire) and can be cut off like a lost connection. It sees what the
// page's own network log cannot: what the service worker downloads.
type wire struct {
	URL  string
	sent atomic.Int64 // bytes written to browsers
	reqs atomic.Int64 // requests answered
	down atomic.Bool  // no connection: every request is dropped
}

func newWire(t *testing.T, h http.Handler) *wire {
	t.Helper()
	w := &wire{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.down.Load() {
			if conn, _, err := http.NewResponseController(rw).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		w.reqs.Add(1)
		h.ServeHTTP(rw, r)
	}))
	srv.Listener = countingListener{Listener: srv.Listener, n: &w.sent}
	srv.Start()
	t.Cleanup(srv.Close)
	w.URL = srv.URL
	return w
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, n: l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// netlog is the page's own network log, from the DevTools protocol's events.
type netlog struct {
	mu   sync.Mutex
	reqs map[network.RequestID]*netReq
	last time.Time // when the last event came
}

type netReq struct {
	URL       string
	Type      network.ResourceType
	Status    int64 // as it came over the network: 304 for a page the cache had
	Start     time.Time
	Bytes     float64 // encodedDataLength: what came over the network, headers included
	FromCache bool    // memory or disk cache
	FromSW    bool
	Done      bool
}

func listenNetwork(t *testing.T, ctx context.Context) *netlog {
	t.Helper()
	l := &netlog{reqs: map[network.RequestID]*netReq{}}
	err := chromedp.Listen(ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		r := func(id network.RequestID) *netReq {
			if l.reqs[id] == nil {
				l.reqs[id] = &netReq{}
			}
			return l.reqs[id]
		}
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			x := r(ev.RequestID)
			x.URL, x.Type, x.Start = ev.Request.URL, ev.Type, time.Now()
		case *network.EventResponseReceivedExtraInfo:
			r(ev.RequestID).Status = ev.StatusCode
		case *network.EventResponseReceived:
			x := r(ev.RequestID)
			if x.Status == 0 {
				x.Status = ev.Response.Status
			}
			x.Type = ev.Type
			x.FromCache = x.FromCache || ev.Response.FromDiskCache || ev.Response.FromPrefetchCache
			x.FromSW = ev.Response.FromServiceWorker
		case *network.EventRequestServedFromCache:
			r(ev.RequestID).FromCache = true
		case *network.EventLoadingFinished:
			x := r(ev.RequestID)
			x.Bytes, x.Done = ev.EncodedDataLength, true
		case *network.EventLoadingFailed:
			r(ev.RequestID).Done = true
		default:
			return
		}
		l.last = time.Now()
	})
	if err != nil {
		t.Fatalf("listen to the network: %v", err)
	}
	return l
}

// reset forgets what was logged so far.
func (l *netlog) reset() {
	l.mu.Lock()
	l.reqs = map[network.RequestID]*netReq{}
	l.last = time.Now()
	l.mu.Unlock()
}

// settle waits until every request has finished and nothing happened for quiet. A request
// the browser leaves open for seconds without a word (the favicon) does not count.
func (l *netlog) settle(t *testing.T, quiet time.Duration) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		busy := time.Since(l.last) < quiet
		for _, r := range l.reqs {
			busy = busy || (!r.Done && r.URL != "" && time.Since(r.Start) < 5*time.Second)
		}
		l.mu.Unlock()
		if !busy {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the network did not settle:\n%s", l.table())
}

// requests returns what was logged, by URL.
func (l *netlog) requests() []netReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []netReq
	for _, r := range l.reqs {
		if r.URL != "" && !strings.HasPrefix(r.URL, "data:") {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URL < out[j].URL })
	return out
}

// transferred is the total the page received over the network.
func (l *netlog) transferred() int {
	var n float64
	for _, r := range l.requests() {
		n += r.Bytes
	}
	return int(n)
}

func (l *netlog) table() string {
	var b strings.Builder
	for _, r := range l.requests() {
		src := "network"
		switch {
		case r.FromSW:
			src = "service worker"
		case r.FromCache:
			src = "cache"
		}
		fmt.Fprintf(&b, "  %6.0f B  %3d  %-8s %-14s %s\n", r.Bytes, r.Status, r.Type, src, r.URL)
	}
	return b.String()
}

// setNetwork sets the tab's connection: offline, or throttled to a latency (ms) and a
// throughput (bytes per second, -1 for none). The wire is cut off too when offline, so
// nothing can reach the server by a way the emulation misses.
func setNetwork(t *testing.T, ctx context.Context, w *wire, offline bool, latency, throughput float64) {
	t.Helper()
	if w != nil {
		w.down.Store(offline)
	}
	// Chromium 148 takes "offline" for the whole command, the protocol cdproto follows
	// takes it for each rule; send what the browser understands.
	emulate := chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		rule := map[string]any{"urlPattern": "", "latency": latency, "downloadThroughput": throughput, "uploadThroughput": throughput}
		err := tab.Call(ctx, "Network.emulateNetworkConditionsByRule", map[string]any{"offline": offline, "matchedNetworkConditions": []any{rule}}, nil)
		if err != nil {
			rule["offline"] = offline
			err = tab.Call(ctx, "Network.emulateNetworkConditionsByRule", map[string]any{"emulateOfflineServiceWorker": offline, "matchedNetworkConditions": []any{rule}}, nil)
		}
		return err
	})
	if err := chromedp.Do(ctx, emulate); err != nil {
		t.Fatalf("emulate network conditions: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, Latency: latency, DownloadThroughput: throughput, UploadThroughput: throughput,
	}); err != nil {
		t.Fatalf("override network state: %v", err)
	}
}

// cleanCache empties the browser's HTTP cache, and makes the tab's requests bypass the
// service worker (so the page's own log sees every byte), for a first visit.
func cleanCache(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.SetBypassServiceWorker, network.SetBypassServiceWorkerParams{Bypass: true}); err != nil {
		t.Fatalf("bypass the service worker: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
		t.Fatalf("clear the cache: %v", err)
	}
}

// waitServiceWorker waits until the service worker has installed and kept the app shell.
func waitServiceWorker(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, "the service worker", `!!navigator.serviceWorker && !!navigator.serviceWorker.controller`)
	ok := get(t, ctx, "the app shell", chromedp.Evaluate[bool](
		`navigator.serviceWorker.ready.then(() => caches.keys()).then(ks => ks.some(k => k.startsWith("cunlu-shell-")))`, chromedp.EvalAwaitPromise))
	if !ok {
		t.Fatal("the service worker did not keep the app shell")
	}
}
