package browsertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestErrorsAreSeen: a page that logs an error and throws is reported, so a
// browser test that finds no error means there was none.
func TestErrorsAreSeen(t *testing.T) {
	page := filepath.Join(t.TempDir(), "bad.html")
	if err := os.WriteFile(page, []byte(`<!DOCTYPE html><body><p id="done">x</p>
<script>console.error("broken chart"); setTimeout(function () { throw new Error("boom") }, 0);</script></body>`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := Start(t)
	if err := chromedp.Do(b.Ctx, chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.ID("done"))); err != nil {
		t.Fatal(err)
	}
	var errs string
	for range 50 { // the exception comes from a timer: wait for it, 5 s at most
		if errs = strings.Join(b.Errors(), "\n"); strings.Contains(errs, "boom") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(errs, "broken chart") || !strings.Contains(errs, "boom") {
		t.Fatalf("errors seen: %q", errs)
	}
}
