package autotls

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestSlogCore(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	zl := zap.New(newSlogCore(h, zapcore.WarnLevel)).Named("certmagic").Named("obtain").With(zap.String("identifier", "login.acme.test"))

	zl.Info("acquiring lock")
	zl.Debug("created CSR")
	if buf.Len() != 0 {
		t.Fatalf("info and debug lines reached slog: %s", buf.String())
	}

	zl.Error("could not get certificate from issuer", zap.Error(errors.New("boom")), zap.Int("attempt", 2))
	line := buf.String()
	for _, want := range []string{
		"level=ERROR",
		`msg="could not get certificate from issuer"`,
		"logger=certmagic.obtain",
		"identifier=login.acme.test",
		"error=boom",
		"attempt=2",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}

	buf.Reset()
	zl.Warn("stapling OCSP")
	if !strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("warn line = %q, want level=WARN", buf.String())
	}
}

func TestSlogCoreFollowsHandlerLevel(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})
	zl := zap.New(newSlogCore(h, zapcore.WarnLevel))
	zl.Warn("quiet")
	if buf.Len() != 0 {
		t.Fatalf("a warning passed an error-level handler: %s", buf.String())
	}
	zl.Error("loud")
	if !strings.Contains(buf.String(), "loud") {
		t.Fatalf("an error did not pass: %q", buf.String())
	}
}
