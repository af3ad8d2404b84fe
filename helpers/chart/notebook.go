package chart

import (
	"context"
	"errors"

	"github.com/replicalab/replicalab/helpers/replica"
	"github.com/replicalab/replicalab/internal/display"
)

// The charts computed on the server come in two forms, as frame's loads do
// (frame.SQL in a cell, frame.Load in a program): XxxSQL(query, opts...) for
// a notebook cell, on the notebook's connection, stopping the cell with the
// message on error; XxxQuery(ctx, q, query, opts...) for programs and tests,
// on any Querier, the error kept in the Chart's Err.

// HistogramSQL is [HistogramQuery] in a notebook cell: on the notebook's
// connection (replica.Default), and on error (but [ErrNoData], which the
// chart shows) it shows the message and stops the cell.
func HistogramSQL(query string, opts ...Option) *Chart { return inCell(HistogramQuery, query, opts) }

// TimeCountsSQL is [TimeCountsQuery] in a notebook cell, on the notebook's
// connection; an error stops the cell.
func TimeCountsSQL(query string, opts ...Option) *Chart {
	return inCell(TimeCountsQuery, query, opts)
}

// BarSQL is [BarQuery] in a notebook cell, on the notebook's connection; an
// error stops the cell.
func BarSQL(query string, opts ...Option) *Chart { return inCell(BarQuery, query, opts) }

// BoxSQL is [BoxQuery] in a notebook cell, on the notebook's connection; an
// error stops the cell.
func BoxSQL(query string, opts ...Option) *Chart { return inCell(BoxQuery, query, opts) }

// ScatterSQL is [ScatterQuery] in a notebook cell, on the notebook's
// connection; an error stops the cell.
func ScatterSQL(query string, opts ...Option) *Chart { return inCell(ScatterQuery, query, opts) }

// LineSQL is [LineQuery] in a notebook cell, on the notebook's connection;
// an error stops the cell.
func LineSQL(query string, opts ...Option) *Chart { return inCell(LineQuery, query, opts) }

// TimeSeriesSQL is [TimeSeriesQuery] in a notebook cell, on the notebook's
// connection; an error stops the cell.
func TimeSeriesSQL(query string, opts ...Option) *Chart {
	return inCell(TimeSeriesQuery, query, opts)
}

// inCell runs a server-side chart the notebook way.
func inCell(chart func(context.Context, Querier, string, ...Option) *Chart, query string, opts []Option) *Chart {
	c := chart(context.Background(), replica.Default(), query, opts...)
	if c.Err != nil && !errors.Is(c.Err, ErrNoData) {
		display.Stop(c.Err)
	}
	return c
}
