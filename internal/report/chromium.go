package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Paper is a sheet a report is printed on.
type Paper struct {
	Name          string
	Width, Height float64 // inches
}

// The papers a report is laid out for. PDFs are printed on A4 unless told otherwise.
var (
	A4     = Paper{"A4", 8.27, 11.69}
	Letter = Paper{"Letter", 8.5, 11}
)

// PaperNamed returns the paper called name ("a4" or "letter", any case).
func PaperNamed(name string) (Paper, error) {
	switch {
	case equalFold(name, "a4"):
		return A4, nil
	case equalFold(name, "letter"):
		return Letter, nil
	}
	return Paper{}, fmt.Errorf("report: expected paper a4 or letter, found %q", name)
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// Page margins, in millimetres: the CSS's @page rule and the PDF printer use the same.
const (
	marginTopMM  = 14.0
	marginSideMM = 12.0
)

// contentWidth is the width the page leaves for the report, in CSS pixels (96 per inch).
func (p Paper) contentWidth() float64 { return (p.Width - 2*marginSideMM/25.4) * 96 }

// Chromium finds a headless-capable Chromium or Chrome.
func Chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("report: PDF output and layout checks need Chromium (Debian/Ubuntu: apt-get install chromium; make chromium)")
}

// browser is one headless Chromium, driven through the DevTools protocol.
type browser struct {
	ctx    context.Context
	cancel func()
}

func newBrowser(ctx context.Context) (*browser, error) {
	bin, err := Chromium()
	if err != nil {
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("hide-scrollbars", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		bcancel()
		acancel()
		return nil, fmt.Errorf("report: starting %s: %w", bin, err)
	}
	return &browser{ctx: bctx, cancel: func() { bcancel(); acancel() }}, nil
}

func (b *browser) close() { b.cancel() }

func fileURL(path string) string {
	abs, _ := filepath.Abs(path)
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// open loads the file at a viewport width, for screen or print media, and waits for its images.
func (b *browser) open(path string, width float64, print bool) error {
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	media := ""
	if print {
		media = "print"
	}
	setMedia := func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	}
	return chromedp.Do(ctx,
		chromedp.EmulateViewport(int64(width+0.5), 900),
		setMedia,
		chromedp.Navigate(fileURL(path)),
		chromedp.Evaluate[chromedp.Void](`Promise.all(Array.from(document.images).map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r })))`, chromedp.EvalAwaitPromise),
	)
}

// pdf prints the file on paper.
func (b *browser) pdf(path string, paper Paper) ([]byte, error) {
	if err := b.open(path, paper.contentWidth(), true); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(b.ctx, 120*time.Second)
	defer cancel()
	top, side := marginTopMM/25.4, marginSideMM/25.4
	return chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperSize{Width: paper.Width, Height: paper.Height}),
		chromedp.PDFMargins(top, side, top, side), chromedp.PDFPrintBackground(), chromedp.PDFOutlineAndTagged()))
}
