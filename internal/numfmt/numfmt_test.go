package numfmt

import "testing"

func TestInt(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := Int(n); got != want {
			t.Errorf("Int(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Int(5_000_000); got != "5,000,000" {
		t.Errorf("Int(int) = %q", got)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 questions", 1: "1 question", 2: "2 questions", 1200: "1,200 questions"} {
		if got := Count(n, "question", "questions"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Count(1, "query", "queries"); got != "1 query" {
		t.Errorf("got %q", got)
	}
}

func TestGrouped(t *testing.T) {
	for in, want := range map[string]string{"0": "0", "999": "999", "1000": "1,000", "-1234567.50": "-1,234,567.50",
		"123456.789": "123,456.789", "1e+21": "1e+21", "NaN": "NaN", "+Inf": "+Inf", "0.000123": "0.000123", "-100": "-100",
		"100000": "100,000", "12345678901234567890": "12,345,678,901,234,567,890"} {
		if got := Grouped(in); got != want {
			t.Errorf("Grouped(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApprox(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 3000: "3,000", 9999.4: "9,999", 12_345: "12k", 999_999: "1M", 1_234_567: "1.2M", 50e6: "50M",
		2.5e9: "2.5 billion", 2.5e13: "25 trillion", 3.14e15: "3.1e+15", -42_000: "-42k",
	} {
		if got := Approx(f); got != want {
			t.Errorf("Approx(%v) = %q, want %q", f, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 812: "812 B", 4300: "4.2 kB", 13680640: "13 MB", 1610612736: "1.5 GB", -1: "?"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
