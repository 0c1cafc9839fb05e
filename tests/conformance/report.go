package main

import (
	"encoding/json"
	"io"
)

// reporter writes one JSON object per line and remembers whether any check failed.
type reporter struct {
	out    *json.Encoder
	failed bool
}

type checkLine struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

type measureLine struct {
	Measure string  `json:"measure"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
}

func newReporter(w io.Writer) *reporter {
	return &reporter{out: json.NewEncoder(w)}
}

func (r *reporter) pass(check, detail string) {
	r.write(checkLine{Check: check, OK: true, Detail: detail})
}

func (r *reporter) fail(check string, err error) {
	r.failed = true
	r.write(checkLine{Check: check, OK: false, Detail: err.Error()})
}

// result records a check from its (detail, error) pair: an error means failure.
func (r *reporter) result(check, detail string, err error) {
	if err != nil {
		r.fail(check, err)
		return
	}
	r.pass(check, detail)
}

func (r *reporter) measure(name string, value float64, unit string) {
	r.write(measureLine{Measure: name, Value: value, Unit: unit})
}

// write ignores encoding errors: the lines are plain structs and stdout is a pipe to the driver;
// if it is gone, nobody is left to tell.
func (r *reporter) write(line any) {
	_ = r.out.Encode(line)
}
