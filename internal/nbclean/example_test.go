package nbclean_test

import (
	"fmt"

	"github.com/replicalab/replicalab/internal/nbclean"
)

func ExampleClean() {
	nb := []byte(`{"cells": [{"cell_type": "code", "execution_count": 3, "id": "f00d", "metadata": {"scrolled": true},
	  "outputs": [{"name": "stdout", "output_type": "stream", "text": "42\n"}], "source": "x := 42\nfmt.Println(x)"}],
	 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}`)
	clean, err := nbclean.Clean(nb, nbclean.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(clean))
	// Output:
	// {
	//  "cells": [
	//   {
	//    "cell_type": "code",
	//    "execution_count": null,
	//    "id": "0",
	//    "metadata": {},
	//    "outputs": [],
	//    "source": [
	//     "x := 42\n",
	//     "fmt.Println(x)"
	//    ]
	//   }
	//  ],
	//  "metadata": {},
	//  "nbformat": 4,
	//  "nbformat_minor": 5
	// }
}

func ExampleParse() {
	_, err := nbclean.Parse([]byte("{\n \"cells\": [\n  {\"cell_type\": \"code\",}\n ]\n}"))
	fmt.Println(err)
	// Output: invalid JSON: expecting a property name enclosed in double quotes at line 3 column 24 (byte 37)
}
