package stream

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJournalRoundTripAndTruncate(t *testing.T) {
	dir := t.TempDir()
	j := newJournal(dir, "j-*.journal")
	var in []slot
	for seq := int64(1); seq <= 2500; seq++ {
		r, _ := gen(seq, 100)
		w := 1.0
		if seq%3 == 0 {
			w = 4
		}
		if seq == 7 {
			r.ErrorMessage = strings.Repeat("é", journalReadChunk) // a frame larger than a read chunk
		}
		r.TargetQueryID = "01b2-" + r.Phase
		in = append(in, slot{rec: r, weight: w})
	}
	if err := j.append(in[:1000]); err != nil {
		t.Fatal(err)
	}
	if err := j.append(in[1000:]); err != nil {
		t.Fatal(err)
	}
	if j.pending.Load() != 2500 {
		t.Fatalf("pending %d", j.pending.Load())
	}
	var out []slot
	for j.pending.Load() > 0 {
		b, next, err := j.read(nil, 600)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) == 0 || len(b) > 600 {
			t.Fatalf("read %d records", len(b))
		}
		out = append(out, b...)
		if err := j.commit(next, len(b)); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(in, out, cmp.AllowUnexported(slot{})); diff != "" {
		t.Fatalf("round trip (-in +out):\n%.2000s", diff)
	}
	fi, err := os.Stat(j.path)
	if err != nil || fi.Size() != 0 {
		t.Fatalf("drained journal not truncated: %v, %v", fi, err)
	}
	// Appends after a truncate start over and are read back.
	if err := j.append(in[:3]); err != nil {
		t.Fatal(err)
	}
	b, _, err := j.read(nil, 10)
	if err != nil || len(b) != 3 || b[2].rec.ExecutionSeq != 3 {
		t.Fatalf("after truncate: %d records, %v", len(b), err)
	}
	path, err := j.close()
	if err != nil || path == "" {
		t.Fatalf("close with pending records: %q, %v", path, err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("kept journal missing: %v", err)
	}
}

func TestJournalRemovedWhenEmpty(t *testing.T) {
	j := newJournal(t.TempDir(), "j-*.journal")
	r, _ := gen(1, 0)
	if err := j.append([]slot{{rec: r, weight: 1}}); err != nil {
		t.Fatal(err)
	}
	b, next, _ := j.read(nil, 10)
	if err := j.commit(next, len(b)); err != nil {
		t.Fatal(err)
	}
	p := j.path
	if path, err := j.close(); err != nil || path != "" {
		t.Fatalf("close = %q, %v", path, err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("empty journal not removed: %v", err)
	}
}

func TestJournalUnwritableDirIsAnError(t *testing.T) {
	f := t.TempDir() + "/file"
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	j := newJournal(f+"/sub", "j-*.journal")
	r, _ := gen(1, 0)
	if err := j.append([]slot{{rec: r}}); err == nil {
		t.Fatal("append under a file succeeded")
	}
}
