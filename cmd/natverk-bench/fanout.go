package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wneessen/go-mail"
)

// fanout is what the RSVP burst needs of a fan-out, and its memory figure.
type fanout struct {
	network  *network
	invitees []person
	memory   Result
}

// sinkTimeout bounds the wait for a fan-out or a reference to deliver.
func sinkTimeout(n int) time.Duration { return time.Minute + time.Duration(n)*10*time.Millisecond }

// timeToSink starts an smtp-sink that accepts n messages, runs send, and
// returns the time from send's start until the sink accepted the last
// message. An error from send after the sink got everything (a QUIT to
// a sink that already exited) does not count.
func (b *bench) timeToSink(ctx context.Context, port, n int, send func() error) (time.Duration, error) {
	s, err := startSink(ctx, b.tools.smtpSink, port, n, "")
	if err != nil {
		return 0, err
	}
	start := time.Now()
	serr := make(chan error, 1)
	go func() { serr <- send() }()
	end, err := s.wait(ctx, sinkTimeout(n))
	if err != nil {
		select {
		case e := <-serr:
			err = errors.Join(err, e)
		default:
		}
		return 0, err
	}
	select {
	case <-serr:
	case <-time.After(30 * time.Second):
		return 0, errors.New("the sender did not return 30 s after the sink got every message")
	}
	return end.Sub(start), nil
}

// benchFanout invites the warm-up group (their mail warms the service's
// SMTP pool; the first message is captured for the references), then
// times one invite call of the fan-out group until smtp-sink has accepted
// the last invitation. The references send as many messages of the same
// size over as many connections to a fresh smtp-sink: smtp-source, and
// (without DKIM) a go-mail loop.
func (b *bench) benchFanout(ctx context.Context, st store, svc *service, dkim bool, warm, group []person) (*fanout, error) {
	name := "fanout"
	if dkim {
		name = "fanout_dkim"
	}
	port := svcEnvPort(svc)
	n, err := createNetwork(ctx, svc, fmt.Sprintf("Chefer i Göteborg %s", name), time.Now(), 52)
	if err != nil {
		return nil, err
	}
	// Warm-up and capture.
	dump := filepath.Join(b.work, st.name, name+"-capture")
	cs, err := startSink(ctx, b.tools.smtpSink, port, len(warm), dump)
	if err != nil {
		return nil, err
	}
	if err := invite(ctx, svc, n.ID, warm); err != nil {
		cs.kill()
		return nil, err
	}
	if _, err := cs.wait(ctx, sinkTimeout(len(warm))); err != nil {
		return nil, fmt.Errorf("warm-up: %w\n%s", err, svc.log())
	}
	msg, err := capturedMessage(dump)
	if err != nil {
		return nil, err
	}
	msgFile := filepath.Join(b.work, st.name, name+".eml")
	if err := os.WriteFile(msgFile, msg, 0o644); err != nil {
		return nil, err
	}
	size := wireSize(msg)

	// The fan-out.
	if err := resetPeakRSS(svc.pid()); err != nil {
		b.log.Printf("cannot reset the peak RSS (%v): the memory figure is the peak since start", err)
	}
	rssBefore, _ := procStatus(svc.pid(), "VmRSS")
	d, err := b.timeToSink(ctx, port, len(group), func() error { return invite(ctx, svc, n.ID, group) })
	if err != nil {
		return nil, fmt.Errorf("fan-out: %w\n%s", err, svc.log())
	}
	hwm, herr := procStatus(svc.pid(), "VmHWM")
	ours := float64(len(group)) / d.Seconds()
	b.log.Printf("%s/%s: %d invitations of %d bytes in %s (%.0f/s)", name, st.name, len(group), size, d.Round(time.Millisecond), ours)

	// The references, on the same port with a fresh sink each.
	var rs []Result
	note := fmt.Sprintf("%d messages of %d B, %d connections", len(group), size, smtpConns)
	dA, err := b.timeToSink(ctx, port, len(group), func() error {
		return smtpSource(ctx, b.tools.smtpSource, port, len(group), smtpConns, msgFile)
	})
	if err != nil {
		rs = append(rs, failed(name, st.name, fmt.Errorf("smtp-source: %w", err)))
	} else {
		want := 0.35
		if dkim {
			want = 0.25
		}
		r := result(name, st.name, ours, "msgs/s", "smtp-source", float64(len(group))/dA.Seconds(), atLeastRatio(want))
		r.Note = note
		rs = append(rs, r)
	}
	if !dkim {
		msgs := make([]*mail.Msg, smtpConns)
		var gsize int
		for i := range msgs {
			if msgs[i], gsize, err = goMailMessage(size); err != nil {
				break
			}
		}
		if err == nil {
			var dB time.Duration
			dB, err = b.timeToSink(ctx, port, len(group), func() error { return goMailLoop(ctx, port, len(group), msgs) })
			if err == nil {
				r := result(name, st.name, ours, "msgs/s", "go-mail loop", float64(len(group))/dB.Seconds(), atLeastRatio(0.85))
				r.Note = fmt.Sprintf("%d messages of %d B, %d connections", len(group), gsize, smtpConns)
				rs = append(rs, r)
			}
		}
		if err != nil {
			rs = append(rs, failed(name, st.name, fmt.Errorf("go-mail loop: %w", err)))
		}
	}
	b.add(rs...)
	f := &fanout{network: n, invitees: group}
	if herr != nil {
		f.memory = failed("memory", st.name, herr)
	} else {
		f.memory = result("memory", st.name, float64(hwm)/1024, "MB", "", 0, atMost(150))
		f.memory.Note = fmt.Sprintf("peak RSS (VmHWM) of natverk during the %d-invitation fan-out; RSS before it %d MB", len(group), rssBefore/1024)
	}
	return f, nil
}

// svcEnvPort is the smtp-sink port the service sends to.
func svcEnvPort(svc *service) int { return svc.env.sinkPort() }
