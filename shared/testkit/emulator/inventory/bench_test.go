package inventory_test

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws-commander/commander/shared/testkit/emulator/inventory"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

const benchSnapshots = 200_000

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSeed200k measures building the estate: 200 000 snapshots,
// 20 000 volumes, 5 000 instances. seed-heap-MB is what the estate keeps.
func BenchmarkSeed200k(b *testing.B) {
	srv, err := inventory.Start(inventory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	spec := inventory.Spec{Snapshots: benchSnapshots, Volumes: 20_000, Instances: 5_000, Images: 100, Now: now}
	var kept float64
	for b.Loop() {
		b.StopTimer()
		_ = srv.Seed(inventory.Spec{}) // drop the previous estate before measuring
		before := heapInUse()
		b.StartTimer()
		if err := srv.Seed(spec); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		kept = float64(heapInUse()-before) / (1 << 20)
		b.StartTimer()
	}
	b.ReportMetric(kept, "seed-heap-MB")
}

// BenchmarkDescribeSnapshots200k pages through 200 000 snapshots with the
// SDK's paginator at the largest page AWS allows: 200 calls per run.
func BenchmarkDescribeSnapshots200k(b *testing.B) {
	srv, c, _, ctx, _ := start(b, inventory.Spec{Snapshots: benchSnapshots, Volumes: 20_000})
	b.ReportAllocs()
	var pages, items int
	start := time.Now()
	for b.Loop() {
		pages, items = 0, 0
		p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(1000)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			pages++
			items += len(out.Snapshots)
		}
	}
	elapsed := time.Since(start)
	if items != benchSnapshots || pages != benchSnapshots/1000 {
		b.Fatalf("paged %d snapshots in %d pages, want %d in %d", items, pages, benchSnapshots, benchSnapshots/1000)
	}
	b.ReportMetric(float64(pages), "pages/op")
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N)/benchSnapshots, "ns/snapshot")
	if n := srv.Calls()["EC2.DescribeSnapshots"]; n != int64(pages*b.N) {
		b.Fatalf("server counted %d calls for %d pages", n, pages*b.N)
	}
}

// BenchmarkServerOnly200k is the server's share of paging 200 000
// snapshots: raw HTTP, the body read and dropped, no SDK decoding.
func BenchmarkServerOnly200k(b *testing.B) {
	srv, _, _, _, _ := start(b, inventory.Spec{Snapshots: benchSnapshots, Volumes: 20_000})
	b.ReportAllocs()
	start := time.Now()
	var bytes int64
	for b.Loop() {
		tok, pages := "", 0
		for {
			body := "Action=DescribeSnapshots&Version=2016-11-15&Owner.1=self&MaxResults=1000"
			if tok != "" {
				body += "&NextToken=" + tok
			}
			resp, err := http.Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Fatalf("page %d: %d %v", pages, resp.StatusCode, err)
			}
			bytes += int64(len(raw))
			pages++
			s := string(raw)
			i := strings.Index(s, "<nextToken>")
			if i < 0 {
				break
			}
			tok = s[i+len("<nextToken>") : strings.Index(s, "</nextToken>")]
		}
		if pages != benchSnapshots/1000 {
			b.Fatalf("pages = %d", pages)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/benchSnapshots, "ns/snapshot")
	b.ReportMetric(float64(bytes)/float64(b.N)/(1<<20), "MB-sent/op")
}
