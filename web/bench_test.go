package web_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkIntakeToRouted measures the web intake end to end against a real
// redis-server: each operation is one POST /api/v1/inquiries answered 201
// after a router worker stored and routed the inquiry. It reports
// inquiries/s and the p50/p99 latency of a request, with 4×GOMAXPROCS
// concurrent clients (8 on the 2-core reference machine).
func BenchmarkIntakeToRouted(b *testing.B) {
	e := newEnv(b, nil)
	texts := []string{
		"We need food baskets for the family",
		"نحتاج سلة غذائية لعائلتي في الموصل",
		"پێویستمان بە سەبەتەی خۆراکە",
		"My employer took my passport and will not let me leave",
		"I am a refugee and my registration expired",
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	lat := make([]time.Duration, 0, b.N)
	var n atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Sprintf(`{"text":%q}`, texts[i%int64(len(texts))])
			t0 := time.Now()
			res, err := client.Post(e.url+"/api/v1/inquiries", "application/json", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Errorf("status %d", res.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "inquiries/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
