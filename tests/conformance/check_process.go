package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

const concurrentQueries = 50

// checkConcurrentQueries fires QueryData calls at once, as a dashboard full of panels or a
// batch of alert rules does.
func checkConcurrentQueries(ctx context.Context, p *pluginUnderTest) (string, error) {
	started := time.Now()
	failures := make([]error, concurrentQueries)
	var wg sync.WaitGroup
	for i := range concurrentQueries {
		wg.Go(func() {
			failures[i] = answersFortyTwo(ctx, p, fmt.Sprintf("C%d", i))
		})
	}
	wg.Wait()
	if failed := slices.DeleteFunc(failures, func(err error) bool { return err == nil }); len(failed) > 0 {
		return "", fmt.Errorf("%d of %d concurrent QueryData calls failed; first: %w", len(failed), concurrentQueries, failed[0])
	}
	return fmt.Sprintf("%d concurrent QueryData calls succeeded in %s", concurrentQueries, time.Since(started).Round(time.Millisecond)), nil
}

func answersFortyTwo(ctx context.Context, p *pluginUnderTest, refID string) error {
	res, err := singleResponse(ctx, p, sqlQuery(refID, "SELECT 42 AS answer", formatTable).dataQuery())
	if err != nil {
		return err
	}
	if len(res.Frames) != 1 || len(res.Frames[0].Fields) != 1 {
		return fmt.Errorf("%s: want one frame with one field", refID)
	}
	value, err := res.Frames[0].Fields[0].NullableFloatAt(0)
	if err != nil || value == nil || *value != 42 {
		return fmt.Errorf("%s: answer is not 42 (%v, %v)", refID, value, err)
	}
	return nil
}

// gracefulExitLimit is well inside the 2 s go-plugin waits after GRPCController/Shutdown
// before it kills the process: finishing sooner proves the plugin exited by itself.
const gracefulExitLimit = 1500 * time.Millisecond

// checkShutdown stops the plugin the way Grafana does (Client.Kill: Shutdown RPC, close the
// connection, wait up to 2 s, then SIGKILL).
func checkShutdown(p *pluginUnderTest) (string, error) {
	started := time.Now()
	p.Client.Kill()
	took := time.Since(started)
	if !p.Client.Exited() {
		return "", errors.New("the process is still running after Kill")
	}
	if took >= gracefulExitLimit {
		return "", fmt.Errorf("Kill took %s: the process did not exit on Shutdown and go-plugin had to kill it", took.Round(time.Millisecond))
	}
	return fmt.Sprintf("exited %s after Kill", took.Round(time.Millisecond)), nil
}
