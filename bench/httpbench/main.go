// Command httpbench is Cunlu's small load generator: it sends requests to one URL from a
// number of concurrent clients for a fixed time and prints throughput, errors and latency
// percentiles. It reaches only the address it is given (use loopback), and stops by itself.
//
//	go run ./bench/httpbench -url http://127.0.0.1:8080/coord -cookie 'cunlu_session=…' -c 8 -d 20s
//
// With -post, each request is a form POST; the placeholder {n} in the form is replaced by
// a per-request counter (for idempotency keys), and -csrf adds the CSRF cookie and field.
// -cookies names a file with one Cookie header per line (one signed-in person each): client
// i sends line i mod the number of lines, so 64 clients can be 64 people. -pre-url and
// -pre-post send a form POST before each measured request, timed as part of it (add to
// cart, then check out).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	target := flag.String("url", "", "URL to request (loopback only)")
	cookie := flag.String("cookie", "", "Cookie header to send")
	conc := flag.Int("c", 8, "concurrent clients")
	dur := flag.Duration("d", 10*time.Second, "how long to run")
	post := flag.String("post", "", "send POST with this urlencoded form ({n} = request number)")
	csrf := flag.String("csrf", "", "CSRF token: sent as _csrf cookie and form field")
	warm := flag.Int("warm", 20, "requests sent before measuring")
	cookieFile := flag.String("cookies", "", "file with one Cookie header per line; client i uses line i mod n")
	preURL := flag.String("pre-url", "", "URL of a form POST sent before each request (same host)")
	prePost := flag.String("pre-post", "", "the form of that POST ({n} = request number)")
	flag.Parse()
	cookies := []string{*cookie}
	if *cookieFile != "" {
		b, err := os.ReadFile(*cookieFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpbench:", err)
			os.Exit(2)
		}
		cookies = nil
		for _, line := range strings.Split(string(b), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				cookies = append(cookies, line)
			}
		}
		if len(cookies) == 0 {
			fmt.Fprintln(os.Stderr, "httpbench: no cookies in", *cookieFile)
			os.Exit(2)
		}
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		fmt.Fprintln(os.Stderr, "httpbench: -url is required")
		os.Exit(2)
	}
	if h := u.Hostname(); h != "127.0.0.1" && h != "localhost" && h != "::1" {
		fmt.Fprintln(os.Stderr, "httpbench: only loopback addresses are allowed")
		os.Exit(2)
	}
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: *conc * 2, DisableCompression: false},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	var counter atomic.Int64
	send := func(who int, target, post string, n int64) (int, error) {
		var req *http.Request
		if post != "" {
			form := strings.ReplaceAll(post, "{n}", fmt.Sprint(n))
			if *csrf != "" {
				form += "&_csrf=" + url.QueryEscape(*csrf)
			}
			req, _ = http.NewRequest(http.MethodPost, target, strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest(http.MethodGet, target, nil)
		}
		c := cookies[who%len(cookies)]
		if *csrf != "" {
			c = strings.TrimPrefix(c+"; _csrf="+*csrf, "; ")
		}
		if c != "" {
			req.Header.Set("Cookie", c)
		}
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	do := func(client int) (int, error) {
		n := counter.Add(1)
		if *preURL != "" {
			if code, err := send(client, *preURL, *prePost, n); err != nil || code >= 400 {
				return code, err
			}
		}
		return send(client, *target, *post, n)
	}
	for i := 0; i < *warm; i++ {
		do(i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *dur)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	var errs, bad atomic.Int64
	statuses := map[int]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < *conc; i++ {
		wg.Add(1)
		go func(client int) {
			defer wg.Done()
			var mine []time.Duration
			local := map[int]int{}
			for ctx.Err() == nil {
				t := time.Now()
				code, err := do(client)
				d := time.Since(t)
				if err != nil {
					errs.Add(1)
					continue
				}
				local[code]++
				if code >= 400 {
					bad.Add(1)
				}
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range local {
				statuses[k] += v
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("%s %s: %d requests in %.1fs = %.0f req/s, c=%d, errors %d, 4xx/5xx %d, statuses %v\n",
		map[bool]string{true: "POST", false: "GET"}[*post != ""], u.Path, len(lat), elapsed.Seconds(), float64(len(lat))/elapsed.Seconds(), *conc, errs.Load(), bad.Load(), statuses)
	fmt.Printf("  latency p50 %s  p95 %s  p99 %s  max %s\n", pct(0.50).Round(10*time.Microsecond), pct(0.95).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
}
