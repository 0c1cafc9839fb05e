// Package supervisor keeps one plugin process running the way Grafana's process manager does:
// a watcher polls every second and starts the plugin again when its process has exited, retrying
// each second without backoff; while it is down, calls get ErrPluginUnavailable.
package supervisor

import (
	"errors"
	"log"
	"sync"
	"time"

	"github.com/cloudsql-cos-ts/host/launch"
)

// ErrPluginUnavailable is what callers get while the process is down (Grafana's wording).
var ErrPluginUnavailable = errors.New("plugin unavailable")

// PollInterval is Grafana's restart poll period.
const PollInterval = time.Second

// Starter starts one plugin process.
type Starter func() (*launch.Plugin, error)

// Supervisor owns the current process and its restarts.
type Supervisor struct {
	start    Starter
	mu       sync.Mutex
	current  *launch.Plugin
	restarts int
	stop     chan struct{}
	done     chan struct{}
}

// Start launches the plugin once (an error here is returned: the first start must work) and
// begins watching it.
func Start(start Starter) (*Supervisor, error) {
	p, err := start()
	if err != nil {
		return nil, err
	}
	s := &Supervisor{start: start, current: p, stop: make(chan struct{}), done: make(chan struct{})}
	go s.watch()
	return s, nil
}

// Plugin is the running process, or ErrPluginUnavailable between its death and its restart.
func (s *Supervisor) Plugin() (*launch.Plugin, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.Client.Exited() {
		return nil, ErrPluginUnavailable
	}
	return s.current, nil
}

// Status is the pid of the running process (0 while down) and how often it was restarted.
func (s *Supervisor) Status() (pid, restarts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && !s.current.Client.Exited() {
		pid = s.current.Pid()
	}
	return pid, s.restarts
}

func (s *Supervisor) watch() {
	defer close(s.done)
	ticker := time.NewTicker(PollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-ticker.C:
			s.restartIfExited()
		}
	}
}

func (s *Supervisor) restartIfExited() {
	s.mu.Lock()
	exited := s.current == nil || s.current.Client.Exited()
	s.mu.Unlock()
	if !exited {
		return
	}
	log.Printf("host: plugin process exited, starting it again")
	if s.current != nil {
		s.current.Client.Kill() // releases what go-plugin still holds for the dead process
	}
	p, err := s.start()
	if err != nil {
		log.Printf("host: restart failed, retrying in %s: %v", PollInterval, err)
		return
	}
	s.mu.Lock()
	s.current = p
	s.restarts++
	s.mu.Unlock()
}

// Stop ends the watcher, then kills the plugin (Shutdown RPC, SIGKILL after go-plugin's grace).
func (s *Supervisor) Stop() {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		s.current.Client.Kill()
	}
}
