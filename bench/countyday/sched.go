package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// pools hands out free users: a browser makes one request at a time, so a step waits for a
// free user of its pool (the wait counts in its latency, which runs from when it was due).
// A user may be in several pools (partners learn too).
type pools struct {
	mu      sync.Mutex
	lists   map[string][]*user
	waiters map[string][]*waiter
	r       *rand.Rand
}

type waiter struct {
	ch   chan *user
	done bool
}

func newPools(seed uint64) *pools {
	return &pools{lists: map[string][]*user{}, waiters: map[string][]*waiter{}, r: rand.New(rand.NewPCG(seed, 7))}
}

func (p *pools) add(name string, u *user) {
	p.lists[name] = append(p.lists[name], u)
	u.pools = append(u.pools, name)
}

// get takes a free user of the pool, preferring one for whom prefer is true; it waits
// until one is free or ctx ends (then nil).
func (p *pools) get(ctx context.Context, name string, prefer func(*user) bool) *user {
	p.mu.Lock()
	list := p.lists[name]
	if len(list) == 0 {
		p.mu.Unlock()
		return nil
	}
	var fallback *user
	start := p.r.IntN(len(list))
	for i := range list {
		u := list[(start+i)%len(list)]
		if u.busy {
			continue
		}
		if prefer == nil || prefer(u) {
			u.busy = true
			p.mu.Unlock()
			return u
		}
		if fallback == nil {
			fallback = u
		}
	}
	if fallback != nil {
		fallback.busy = true
		p.mu.Unlock()
		return fallback
	}
	w := &waiter{ch: make(chan *user, 1)}
	p.waiters[name] = append(p.waiters[name], w)
	p.mu.Unlock()
	select {
	case u := <-w.ch:
		return u
	case <-ctx.Done():
		p.mu.Lock()
		w.done = true
		p.mu.Unlock()
		select {
		case u := <-w.ch: // handed over just now: give it back
			p.put(u)
		default:
		}
		return nil
	}
}

// put frees a user, or hands them straight to a step waiting in one of their pools.
func (p *pools) put(u *user) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, name := range u.pools {
		for len(p.waiters[name]) > 0 {
			w := p.waiters[name][0]
			p.waiters[name] = p.waiters[name][1:]
			if w.done {
				continue
			}
			w.ch <- u
			return
		}
	}
	u.busy = false
}

// A kind of step in the mix: its weight (per thousand steps), its pool of users, the
// users it prefers, and what it does.
type mixEntry struct {
	name   string
	weight int
	pool   string
	prefer func(*user) bool
	run    func(*step)
}

// runOpen drives the mix open-loop: step i is due at start + i/rate whatever happened to
// the steps before it, and its latency runs from that moment, so a slow server cannot slow
// the arrivals down and hide its queue. At most maxInFlight steps are under way; a step
// due when that many are, is not sent and counts as an error. When the run's time is up,
// steps still under way get grace to finish and are then cancelled (timeouts).
func (b *bench) runOpen(rate float64, dur, grace time.Duration, seed uint64) *recorder {
	rec := newRecorder()
	r := rand.New(rand.NewPCG(seed, 11))
	total := 0
	for _, e := range b.mix {
		total += e.weight
	}
	n := int(rate * dur.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now().Add(10 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(dur+grace))
	defer cancel()
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	rec.started = start
	b.sampler.begin()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		rec.mu.Lock()
		rec.lag = append(rec.lag, time.Since(due))
		rec.mu.Unlock()
		pick := r.IntN(total)
		var e *mixEntry
		for j := range b.mix {
			if pick < b.mix[j].weight {
				e = &b.mix[j]
				break
			}
			pick -= b.mix[j].weight
		}
		if inFlight.Load() >= int64(b.maxInFlight) {
			rec.add(outcome{kind: e.name, fail: "not sent: too many steps in flight"}, -1)
			continue
		}
		inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer inFlight.Add(-1)
			u := b.pools.get(ctx, e.pool, e.prefer)
			if u == nil {
				rec.add(outcome{kind: e.name, fail: "timeout waiting for a free user"}, time.Since(due))
				return
			}
			s := &step{ctx: ctx, u: u, rec: rec, o: outcome{kind: e.name}}
			e.run(s)
			b.pools.put(u)
			rec.add(s.o, time.Since(due))
		}()
	}
	wg.Wait()
	rec.finished = time.Now()
	b.sampler.end()
	rec.machine = b.sampler.snapshot()
	return rec
}
