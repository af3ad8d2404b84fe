package nbclean

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchNotebook is about size bytes of an analysis notebook: base64 images,
// long streams and HTML with escapes, as outputs.
func benchNotebook(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, 90_000)
	var b strings.Builder
	b.WriteString(`{"cells": [`)
	for i := 1; b.Len() < size; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		for k := range img {
			img[k] = byte(rng.Uint32())
		}
		fmt.Fprintf(&b, `{"cell_type": "code", "execution_count": %d, "id": "c%d", "metadata": {}, "source": ["plot(rows)\n", "x := %d"], "outputs": [`, i, i, i)
		fmt.Fprintf(&b, `{"output_type": "display_data", "metadata": {}, "data": {"image/png": "%s", "text/plain": ["<Figure>"]}}`, base64.StdEncoding.EncodeToString(img))
		b.WriteString(`, {"output_type": "stream", "name": "stdout", "text": [`)
		for d := range 400 {
			if d > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"day %d:\t%d orders \"é\"\n"`, d, rng.IntN(1e6))
		}
		b.WriteString(`]}]}`)
	}
	b.WriteString(`], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`)
	return []byte(b.String())
}

func BenchmarkClean5MB(b *testing.B) {
	data := benchNotebook(5_000_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Clean(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
