package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sampler watches the servers' processes during a run: resident memory (VmRSS from
// /proc/PID/status, every 50 ms, the peak kept) and CPU time (from /proc/PID/stat), and the
// generator's own CPU, to show whether it was the one falling behind.
type sampler struct {
	pids []int

	mu       sync.Mutex
	peak     map[int]int64 // kB, over the run
	allPeak  map[int]int64 // kB, over every run of this process
	cpu0     map[int]float64
	cpu      map[int]float64 // share of one core over the run
	self0    float64
	self     float64
	wall0    time.Time
	stop     chan struct{}
	finished chan struct{}
}

func newSampler(list string) (*sampler, error) {
	s := &sampler{peak: map[int]int64{}, allPeak: map[int]int64{}, cpu0: map[int]float64{}, cpu: map[int]float64{}}
	for _, f := range strings.Split(list, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("-pids: %q is not a process id", f)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/status", pid)); err != nil {
			return nil, fmt.Errorf("-pids: no process %d", pid)
		}
		s.pids = append(s.pids, pid)
	}
	return s, nil
}

// rssKB reads VmRSS of a process, in kB (0 when it is gone).
func rssKB(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return 0
}

// cpuSeconds reads a process's user and system CPU time ("self" for this one).
func cpuSeconds(pid string) float64 {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it are fixed.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func (s *sampler) begin() {
	s.mu.Lock()
	s.stop, s.finished = make(chan struct{}), make(chan struct{})
	s.wall0 = time.Now()
	s.self0 = cpuSeconds("self")
	for _, p := range s.pids {
		s.peak[p] = 0
		s.cpu0[p] = cpuSeconds(strconv.Itoa(p))
	}
	s.mu.Unlock()
	go func() {
		defer close(s.finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			s.mu.Lock()
			for _, p := range s.pids {
				r := rssKB(p)
				s.peak[p] = max(s.peak[p], r)
				s.allPeak[p] = max(s.allPeak[p], r)
			}
			s.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (s *sampler) end() {
	close(s.stop)
	<-s.finished
	s.mu.Lock()
	defer s.mu.Unlock()
	wall := time.Since(s.wall0).Seconds()
	s.self = (cpuSeconds("self") - s.self0) / wall
	for _, p := range s.pids {
		s.cpu[p] = (cpuSeconds(strconv.Itoa(p)) - s.cpu0[p]) / wall
	}
}

// report prints the last run's figures.
func (s *sampler) report(w io.Writer) { fmt.Fprint(w, s.snapshot()) }

// snapshot is the last run's figures as report prints them.
func (s *sampler) snapshot() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for _, p := range s.pids {
		fmt.Fprintf(&b, "server pid %d: peak RSS %.1f MB during the run, CPU %.0f %% of a core\n", p, float64(s.peak[p])/1024, 100*s.cpu[p])
	}
	fmt.Fprintf(&b, "generator: CPU %.0f %% of a core\n", 100*s.self)
	return b.String()
}

// peakMB is the highest RSS of any server over every run of this process.
func (s *sampler) peakMB() (float64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var m int64
	for _, v := range s.allPeak {
		m = max(m, v)
	}
	return float64(m) / 1024, len(s.pids) > 0
}
