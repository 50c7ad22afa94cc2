package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// BenchmarkInsertQueryExecutions measures rows/s written per backend in
// batches the streamer uses (1000 rows), and in larger batches.
func BenchmarkInsertQueryExecutions(b *testing.B) {
	backends := []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", openSQLiteTB}, {"postgres", openPostgresTB}}
	for _, be := range backends {
		for _, batch := range []int{1000, 5000} {
			b.Run(fmt.Sprintf("%s/batch=%d", be.name, batch), func(b *testing.B) {
				s := be.open(b)
				ctx := context.Background()
				t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
				rows := 0
				for i := 0; b.Loop(); i++ {
					b.StopTimer()
					recs := makeExecutions(fmt.Sprintf("bench-%d", i), batch, t0)
					b.StartTimer()
					if err := s.InsertQueryExecutions(ctx, recs); err != nil {
						b.Fatal(err)
					}
					rows += batch
				}
				b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkInsertQueryExecutionsParallel has four writers (one streamer per
// worker) flush 1000-row batches into the same store at once.
func BenchmarkInsertQueryExecutionsParallel(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB) *store.Store
	}{{"sqlite", openSQLiteTB}, {"postgres", openPostgresTB}} {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			ctx := context.Background()
			t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
			var seq, rows atomic.Int64
			b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 writers
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					recs := makeExecutions(fmt.Sprintf("par-%d", seq.Add(1)), 1000, t0)
					if err := s.InsertQueryExecutions(ctx, recs); err != nil {
						b.Error(err)
						return
					}
					rows.Add(1000)
				}
			})
			b.ReportMetric(float64(rows.Load())/time.Since(start).Seconds(), "rows/s")
		})
	}
}
