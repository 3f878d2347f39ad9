package output

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"gopkg.in/natefinch/lumberjack.v2"
)

// FileConfig configures a File transport. The zero value is invalid
// (it has no Path); every other field has a working zero value.
type FileConfig struct {
	// Path is the file records are appended to, e.g.
	// /var/log/apitap/alerts.jsonl. Its directory is created if missing.
	Path string
	// MaxSizeMB rotates the file before it would grow past this many
	// megabytes. Zero means 100.
	MaxSizeMB int
	// MaxAge rotates the file at least this often: a batch is written
	// to a new file when the current one had its first record at least
	// MaxAge ago, so no file holds records written more than MaxAge
	// apart. An idle file is rotated by the next batch, not by a timer.
	// Zero rotates by size only. (This is not lumberjack's MaxAge,
	// which deletes old files.)
	MaxAge time.Duration
	// MaxBackups is how many rotated files are kept; the oldest go
	// first. Zero keeps them all.
	MaxBackups int
	// Compress gzips rotated files, in the background.
	Compress bool
}

// Validate reports a configuration NewFile refuses.
func (c FileConfig) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("file: no path")
	case c.MaxSizeMB < 0:
		return fmt.Errorf("file: negative max size %d MB", c.MaxSizeMB)
	case c.MaxAge < 0:
		return fmt.Errorf("file: negative max age %s", c.MaxAge)
	case c.MaxBackups < 0:
		return fmt.Errorf("file: negative max backups %d", c.MaxBackups)
	}
	return nil
}

// File is a Transport that appends records as JSON Lines (each record
// and "\n") to a file rotated by size and age, the layout Filebeat,
// Fluent Bit or the Splunk forwarder tail.
//
// Rotation renames Path to NAME-2006-01-02T15-04-05.000.EXT (UTC, the
// time of rotation; .gz appended once compressed) and starts a new
// Path, so a tailer follows Path and the renamed file by inode; a
// batch is never split across two files. Filebeat's filestream input
// with paths: [/var/log/apitap/alerts*.jsonl] reads every record once.
//
// Send writes a batch with one write where it fits in the file and
// fsyncs the file (and its directory when the file is new) before it
// returns nil: a sent record is on disk.
type File struct {
	cfg FileConfig
	max int64 // bytes

	mu      sync.Mutex
	lj      *lumberjack.Logger
	buf     []byte
	size    int64     // bytes in the current file
	first   time.Time // first write into the current file; zero if none
	lastRot time.Time // last rotation, to keep backup names apart
	syncDir bool      // the current file is new: fsync its directory
	closed  bool
}

var _ Transport = (*File)(nil)

// NewFile opens a File transport. A file already at cfg.Path is
// appended to, and its age counts from NewFile.
func NewFile(cfg FileConfig) (*File, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	maxMB := cfg.MaxSizeMB
	if maxMB == 0 {
		maxMB = 100
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o755); err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	f := &File{
		cfg: cfg,
		max: int64(maxMB) * 1024 * 1024,
		lj: &lumberjack.Logger{
			Filename:   cfg.Path,
			MaxSize:    maxMB,
			MaxBackups: cfg.MaxBackups,
			Compress:   cfg.Compress,
		},
	}
	switch fi, err := os.Stat(cfg.Path); {
	case err == nil && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("file: %s is not a regular file", cfg.Path)
	case err == nil:
		f.size = fi.Size()
		if f.size > 0 {
			f.first = time.Now()
		}
	case errors.Is(err, os.ErrNotExist):
		f.syncDir = true
	default:
		return nil, fmt.Errorf("file: %w", err)
	}
	return f, nil
}

// Send appends the records, each followed by "\n", and fsyncs. A batch
// larger than the file's maximum size is written record by record,
// rotating between them; a single record that large is an error.
func (f *File) Send(ctx context.Context, records [][]byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errors.New("file: closed")
	}
	if len(records) == 0 {
		return nil
	}
	// Chunks are strictly smaller than max: lumberjack then never
	// rotates by itself, so every rotation is one of ours.
	f.buf = f.buf[:0]
	for _, r := range records {
		if int64(len(r))+1 >= f.max {
			return fmt.Errorf("file: record of %d bytes does not fit in a file of %d", len(r), f.max)
		}
		if int64(len(f.buf)+len(r))+1 >= f.max {
			if err := f.write(f.buf); err != nil {
				return err
			}
			f.buf = f.buf[:0]
		}
		f.buf = append(f.buf, r...)
		f.buf = append(f.buf, '\n')
	}
	if err := f.write(f.buf); err != nil {
		return err
	}
	return f.sync()
}

// write writes p, which is smaller than max, into one file, rotating
// first if the current file is full or old.
func (f *File) write(p []byte) error {
	now := time.Now()
	full := f.size > 0 && f.size+int64(len(p)) >= f.max
	old := f.cfg.MaxAge > 0 && f.size > 0 && !f.first.IsZero() && now.Sub(f.first) >= f.cfg.MaxAge
	if full || old {
		// Backup names have millisecond resolution: two rotations in
		// the same millisecond would give the same name, and the
		// second rename would replace the first backup.
		if d := time.Millisecond - now.Sub(f.lastRot); d > 0 {
			time.Sleep(d)
		}
		// The rotated file was fsynced by the Send that wrote it.
		if err := f.lj.Rotate(); err != nil {
			return fmt.Errorf("file: rotate %s: %w", f.cfg.Path, err)
		}
		now = time.Now()
		f.lastRot, f.size, f.first, f.syncDir = now, 0, time.Time{}, true
	}
	n, err := f.lj.Write(p)
	f.size += int64(n)
	if n > 0 && f.first.IsZero() {
		f.first = now
	}
	if err != nil {
		return fmt.Errorf("file: write %s: %w", f.cfg.Path, err)
	}
	return nil
}

// sync fsyncs the current file through a descriptor of its own
// (lumberjack does not expose its file; fsync flushes the file, not
// the descriptor), and its directory when the file is new, so that
// its name and the rotated file's new name are on disk too.
func (f *File) sync() error {
	if err := fileSync(f.cfg.Path); err != nil {
		return err
	}
	if f.syncDir {
		if err := fileSync(filepath.Dir(f.cfg.Path)); err != nil {
			return err
		}
		f.syncDir = false
	}
	return nil
}

func fileSync(path string) error {
	fd, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("file: sync: %w", err)
	}
	err = fd.Sync()
	if cerr := fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("file: sync %s: %w", path, err)
	}
	return nil
}

// Close closes the file. Send fails after Close.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	return f.lj.Close()
}
