package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// JSONLines is a Sink that writes events to an io.Writer as JSON Lines, in
// the format of Export: one object per line. It is what `lintel events
// tail` writes for a SIEM's file or pipe collector. It is safe for
// concurrent use.
type JSONLines struct {
	mu   sync.Mutex
	w    io.Writer
	file *os.File // set when w is a regular file, which is synced
}

// NewJSONLines returns a Sink writing to w. When w is an *os.File that is
// a regular file (not a terminal or a pipe), every batch is synced to disk
// before Write returns, so a saved cursor never points past lines a crash
// could lose; open such a file with os.O_APPEND so that a restart adds to
// it.
func NewJSONLines(w io.Writer) *JSONLines {
	j := &JSONLines{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			j.file = f
		}
	}
	return j
}

// Write writes batch as one write of whole lines, then syncs a file.
func (j *JSONLines) Write(ctx context.Context, batch []Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, e := range batch {
		if err := enc.Encode(toExportLine(e)); err != nil {
			return fmt.Errorf("events: json lines: event %s: %w", e.ID, err)
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("events: json lines: %w", err)
	}
	if j.file != nil {
		if err := j.file.Sync(); err != nil {
			return fmt.Errorf("events: json lines: sync: %w", err)
		}
	}
	return nil
}

// MarshalExport encodes events as a JSON array of objects in the format
// of Export (the body of a log-streaming webhook). The objects hold
// personal details when the events do.
func MarshalExport(batch []Event) ([]byte, error) {
	lines := make([]exportLine, len(batch))
	for i, e := range batch {
		lines[i] = toExportLine(e)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(lines); err != nil {
		return nil, fmt.Errorf("events: encode batch: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

var _ Sink = (*JSONLines)(nil)
