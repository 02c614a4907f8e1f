//! The dispatcher: the one owner of a parallel run's state. Worker supervisor threads (one
//! reading each worker's frames, one its stderr) and the signal handler only send it typed
//! events; it hands out tasks, enforces the timeout and the memory limit, replaces failed
//! workers and retries a failed task by halves until the one poisonous file is found.

use super::progress::Progress;
use super::protocol::{FromWorker, PROTOCOL_VERSION, ToWorker, read_frame, write_frame};
use super::worker::WORKER_COMMAND;
use super::{ExecError, ExecOptions, ExecReport, Flow, Sink, WorkerStats};
use crate::signals::{self, Interrupts};
use crate::task::{Failure, FileOutcome, Task, TaskFile};
use crate::unix;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::ffi::OsStrExt;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How often timeouts and memory are looked at when no event arrives.
const TICK: Duration = Duration::from_millis(20);

enum Event {
    Frame {
        slot: usize,
        generation: u64,
        frame: Result<FromWorker, String>,
    },
    Closed {
        slot: usize,
        generation: u64,
    },
    Stderr {
        slot: usize,
        generation: u64,
        line: String,
    },
}

struct Worker {
    generation: u64,
    pid: u32,
    spawned: Instant,
    stdin: Option<ChildStdin>,
    ready: bool,
    running: Option<Running>,
}

struct Running {
    task: Task,
    started: Instant,
    /// Files not yet reported done, in task order.
    unfinished: Vec<TaskFile>,
}

impl Running {
    /// The file the worker is on: it extracts a task's files in order and reports each as
    /// it finishes, so the first one not reported is the one under way (or about to be).
    fn current(&self) -> Option<&str> {
        self.unfinished.first().map(|f| f.path.as_str())
    }
}

struct Dispatcher<'s, 'o> {
    options: &'o ExecOptions,
    tx: Sender<Event>,
    workers: Vec<Option<Worker>>,
    stats: Vec<WorkerStats>,
    queue: VecDeque<Task>,
    next_task_id: u32,
    next_generation: u64,
    report: ExecReport,
    progress: Progress,
    /// Workers in a row that died before their handshake; a pool that cannot start at all
    /// is an error, not a respawn loop.
    failed_starts: usize,
    sink: &'s mut Sink<'s>,
}

/// How many workers in a row may die before saying hello.
const MAX_FAILED_STARTS: usize = 3;

/// How long a new worker may take to say hello.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run_parallel<'s>(
    tasks: Vec<Task>,
    options: &ExecOptions,
    interrupts: &Interrupts,
    sink: &'s mut Sink<'s>,
) -> Result<ExecReport, ExecError> {
    let (tx, rx) = mpsc::channel();
    let slots = options.jobs.max(1).min(tasks.len().max(1));
    let total: usize = tasks.iter().map(|t| t.files.len()).sum();
    let mut dispatcher = Dispatcher {
        options,
        tx,
        workers: (0..slots).map(|_| None).collect(),
        stats: vec![WorkerStats::default(); slots],
        next_task_id: tasks.iter().map(|t| t.id + 1).max().unwrap_or(0),
        queue: tasks.into(),
        next_generation: 0,
        report: ExecReport::default(),
        progress: Progress::new(options.progress, options.verbose, total, slots),
        failed_starts: 0,
        sink,
    };
    let result = dispatcher.run(&rx, interrupts);
    dispatcher.shutdown(
        result.is_err() || dispatcher.report.interrupted.is_some() || dispatcher.report.stopped,
    );
    dispatcher.progress.finish();
    result?;
    dispatcher.report.workers = dispatcher.stats.clone();
    Ok(std::mem::take(&mut dispatcher.report))
}

impl Dispatcher<'_, '_> {
    fn run(
        &mut self,
        rx: &mpsc::Receiver<Event>,
        interrupts: &Interrupts,
    ) -> Result<(), ExecError> {
        for slot in 0..self.workers.len() {
            self.spawn(slot)?;
        }
        loop {
            if let Some(sig) = interrupts.received() {
                self.report.interrupted = Some(sig);
                self.collect_written(rx);
                return Ok(());
            }
            if self.report.stopped {
                return Ok(());
            }
            self.dispatch()?;
            let busy = self.workers.iter().flatten().any(|w| w.running.is_some());
            if self.queue.is_empty() && !busy {
                return Ok(());
            }
            match rx.recv_timeout(TICK) {
                Ok(event) => self.handle(event)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
            }
            // Results that already arrived count before any limit is enforced: a worker that
            // finished just in time is not killed for a timeout it did not exceed.
            while let Ok(event) = rx.try_recv() {
                self.handle(event)?;
            }
            self.enforce_limits()?;
        }
    }

    /// On an interrupt, the files a worker finished before it still count: its frames may
    /// not be read yet (one thread reads a worker's frames, another its stderr, so a line
    /// the worker printed after a frame can arrive first). Stops every worker (TERM takes
    /// a worker's whole group at once) and reads each pipe to its end, for at most the
    /// grace period; nothing new is handed out.
    fn collect_written(&mut self, rx: &mpsc::Receiver<Event>) {
        let mut open: Vec<(usize, u64)> = Vec::new();
        for (slot, worker) in self.workers.iter().enumerate() {
            if let Some(worker) = worker {
                unix::signal_group(worker.pid, libc::SIGTERM);
                open.push((slot, worker.generation));
            }
        }
        let deadline = Instant::now() + self.options.grace;
        while !open.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Event::Closed { slot, generation }) => {
                    open.retain(|o| *o != (slot, generation));
                }
                Ok(Event::Frame {
                    slot,
                    generation,
                    frame: Ok(frame),
                }) if self.live(slot, generation).is_some() => {
                    // A worker that breaks the protocol now is stopped anyway.
                    let _ = self.on_frame(slot, frame);
                }
                Ok(stderr @ Event::Stderr { .. }) => {
                    let _ = self.handle(stderr);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }

    fn spawn(&mut self, slot: usize) -> Result<(), ExecError> {
        let exe = std::env::current_exe()
            .map_err(|e| ExecError::Worker(format!("cannot find the discover executable: {e}")))?;
        let mut command = Command::new(exe);
        command
            .arg(WORKER_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        unix::isolate(&mut command);
        let mut child = command
            .spawn()
            .map_err(|e| ExecError::Worker(format!("cannot start a worker process: {e}")))?;
        let pid = child.id();
        signals::register_worker(pid);
        let generation = self.next_generation;
        self.next_generation += 1;
        let (Some(stdout), Some(stderr), Some(mut stdin)) =
            (child.stdout.take(), child.stderr.take(), child.stdin.take())
        else {
            return Err(ExecError::Worker("worker pipes are missing".into()));
        };
        // The child is reaped by pid (wait4), for the kernel's peak memory figure.
        drop(child);
        let init = ToWorker::Init {
            protocol: PROTOCOL_VERSION,
            root: self.options.root.as_os_str().as_bytes().to_vec(),
            file_budget_ms: self.options.file_budget.as_millis() as u64,
            extractors: crate::extract::user_extractors(),
        };
        let init_ok = write_frame(&mut stdin, &init).is_ok();

        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // Large enough that a frame header and most frames come in one read.
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            loop {
                let frame = match read_frame::<FromWorker>(&mut reader) {
                    Ok(Some(frame)) => Ok(frame),
                    Ok(None) => break,
                    Err(e) => Err(e.to_string()),
                };
                let failed = frame.is_err();
                if tx
                    .send(Event::Frame {
                        slot,
                        generation,
                        frame,
                    })
                    .is_err()
                    || failed
                {
                    return;
                }
            }
            let _ = tx.send(Event::Closed { slot, generation });
        });
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx
                    .send(Event::Stderr {
                        slot,
                        generation,
                        line,
                    })
                    .is_err()
                {
                    break;
                }
            }
        });

        self.stats[slot].spawned += 1;
        self.workers[slot] = Some(Worker {
            generation,
            pid,
            spawned: Instant::now(),
            stdin: Some(stdin),
            ready: false,
            running: None,
        });
        if !init_ok {
            self.fail_worker(slot, None)?;
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), ExecError> {
        for slot in 0..self.workers.len() {
            if self.queue.is_empty() {
                break;
            }
            let idle = matches!(&self.workers[slot], Some(w) if w.ready && w.running.is_none());
            if self.workers[slot].is_none() {
                self.spawn(slot)?;
                continue;
            }
            if !idle {
                continue;
            }
            let Some(task) = self.queue.pop_front() else {
                break;
            };
            let Some(worker) = self.workers[slot].as_mut() else {
                continue;
            };
            let sent = worker
                .stdin
                .as_mut()
                .is_some_and(|stdin| write_frame(stdin, &ToWorker::Task(task.clone())).is_ok());
            self.progress.detail(|| {
                format!(
                    "task {} started on worker {slot} (pid {}, {} files, first {})",
                    task.id,
                    worker.pid,
                    task.files.len(),
                    task.files[0].path
                )
            });
            self.progress.working_on(slot, &task.files[0].path);
            worker.running = Some(Running {
                unfinished: task.files.clone(),
                task,
                started: Instant::now(),
            });
            if !sent {
                self.fail_worker(slot, None)?;
            }
        }
        Ok(())
    }

    fn handle(&mut self, event: Event) -> Result<(), ExecError> {
        match event {
            Event::Stderr {
                slot,
                generation,
                line,
            } => {
                if let Some(worker) = self.live(slot, generation) {
                    let context = match &worker.running {
                        Some(r) => format!(
                            " (task {}{})",
                            r.task.id,
                            r.current().map(|c| format!(", {c}")).unwrap_or_default()
                        ),
                        None => String::new(),
                    };
                    let pid = worker.pid;
                    self.progress
                        .line(&format!("worker {slot} pid {pid}{context}: {line}"));
                }
                Ok(())
            }
            Event::Closed { slot, generation } => {
                if self.live(slot, generation).is_some() {
                    self.fail_worker(slot, None)?;
                }
                Ok(())
            }
            Event::Frame {
                slot,
                generation,
                frame,
            } => {
                if self.live(slot, generation).is_none() {
                    return Ok(());
                }
                match frame {
                    Ok(frame) => self.on_frame(slot, frame),
                    Err(e) => self.fail_worker(slot, Some(Failure::Protocol(e))),
                }
            }
        }
    }

    fn live(&self, slot: usize, generation: u64) -> Option<&Worker> {
        self.workers[slot]
            .as_ref()
            .filter(|w| w.generation == generation)
    }

    fn on_frame(&mut self, slot: usize, frame: FromWorker) -> Result<(), ExecError> {
        let Some(worker) = self.workers[slot].as_mut() else {
            return Ok(());
        };
        match frame {
            FromWorker::Hello { protocol, .. } => {
                if protocol != PROTOCOL_VERSION {
                    return Err(ExecError::Worker(format!(
                        "worker speaks protocol {protocol}, this discover speaks {PROTOCOL_VERSION}"
                    )));
                }
                worker.ready = true;
                self.failed_starts = 0;
            }
            FromWorker::FileDone {
                task,
                file,
                outcome,
            } => {
                let Some(running) = worker.running.as_mut().filter(|r| r.task.id == task) else {
                    let why = format!("reported a file of task {task}, which it was not running");
                    return self.fail_worker(slot, Some(Failure::Protocol(why)));
                };
                // Files come back in the task's order: the first one not reported is the
                // one under way (`Running::current`).
                if running.unfinished.first().map(|f| f.index) != Some(file) {
                    return self.fail_worker(
                        slot,
                        Some(Failure::Protocol(format!(
                            "unexpected file {file} in task {task}"
                        ))),
                    );
                }
                running.unfinished.remove(0);
                let items = match &outcome {
                    FileOutcome::Done(facts) => facts.items.iter().map(|i| i.len()).sum(),
                    FileOutcome::Failed(_) => 0,
                };
                if (self.sink)(file, outcome) == Flow::Stop {
                    self.report.stopped = true;
                }
                self.progress.file_done(items);
                self.progress
                    .working_on(slot, running.current().unwrap_or_default());
            }
            FromWorker::TaskDone { task, peak } => {
                let finished = worker
                    .running
                    .as_ref()
                    .is_some_and(|r| r.task.id == task && r.unfinished.is_empty());
                if !finished {
                    let why = format!("finished task {task} early or without running it");
                    return self.fail_worker(slot, Some(Failure::Protocol(why)));
                }
                let Some(running) = worker.running.take() else {
                    return Ok(());
                };
                for file in &running.task.files {
                    self.report.file_peaks.insert(file.index, peak);
                }
                let stats = &mut self.stats[slot];
                stats.tasks += 1;
                stats.peak = stats.peak.max(peak);
                self.progress.working_on(slot, "");
                let elapsed = running.started.elapsed();
                self.progress.detail(|| {
                    format!(
                        "task {task} done on worker {slot} in {} ms, peak {}",
                        elapsed.as_millis(),
                        crate::config::human_size(peak)
                    )
                });
            }
        }
        Ok(())
    }

    /// Kills workers over their time or memory budget.
    fn enforce_limits(&mut self) -> Result<(), ExecError> {
        for slot in 0..self.workers.len() {
            let Some(worker) = &self.workers[slot] else {
                continue;
            };
            if !worker.ready && worker.spawned.elapsed() > STARTUP_TIMEOUT {
                let why = format!("no handshake within {} s", STARTUP_TIMEOUT.as_secs());
                self.fail_worker(slot, Some(Failure::Crashed(why)))?;
                continue;
            }
            let Some(running) = &worker.running else {
                continue;
            };
            if running.started.elapsed() > self.options.timeout {
                let millis = self.options.timeout.as_millis() as u64;
                self.fail_worker(slot, Some(Failure::Timeout { millis }))?;
                continue;
            }
            if let Some(limit) = self.options.max_memory
                && let Some((rss, _)) = unix::memory(worker.pid)
            {
                self.stats[slot].peak = self.stats[slot].peak.max(rss);
                if rss > limit {
                    self.fail_worker(slot, Some(Failure::OverMemory { peak: rss, limit }))?;
                }
            }
        }
        Ok(())
    }

    /// Stops the worker in `slot` (TERM, grace, KILL to its group), blames its task's
    /// unfinished files, and starts a fresh worker if work remains.
    fn fail_worker(&mut self, slot: usize, reason: Option<Failure>) -> Result<(), ExecError> {
        let Some(mut worker) = self.workers[slot].take() else {
            return Ok(());
        };
        drop(worker.stdin.take());
        let reaped = unix::terminate_group(worker.pid, self.options.grace);
        signals::unregister_worker(worker.pid);
        if let Some(r) = &reaped {
            self.stats[slot].peak = self.stats[slot].peak.max(r.max_rss);
        }
        let reason = reason.unwrap_or_else(|| {
            Failure::Crashed(reaped.map_or_else(|| "vanished".to_string(), |r| r.status.describe()))
        });
        if !worker.ready {
            self.failed_starts += 1;
            if self.failed_starts >= MAX_FAILED_STARTS {
                return Err(ExecError::Worker(format!(
                    "{} worker processes in a row exited before their handshake (last: {})",
                    self.failed_starts,
                    reason.describe()
                )));
            }
        }
        if let Some(running) = worker.running.take() {
            self.progress.line(&format!(
                "worker {slot} (pid {}) failed on task {} ({} of {} files left, at {}): {}",
                worker.pid,
                running.task.id,
                running.unfinished.len(),
                running.task.files.len(),
                running.current().unwrap_or("its end"),
                reason.describe()
            ));
            self.retry_or_blame(running, reason)?;
        } else if !self.queue.is_empty() {
            self.progress.line(&format!(
                "worker {slot} (pid {}) died while idle: {}",
                worker.pid,
                reason.describe()
            ));
        }
        if !self.queue.is_empty() && self.report.interrupted.is_none() {
            self.spawn(slot)?;
        }
        Ok(())
    }

    /// A task of one file that failed blames that file; otherwise its unfinished files are
    /// retried (as two halves when there are several), at the front of the queue.
    fn retry_or_blame(&mut self, running: Running, reason: Failure) -> Result<(), ExecError> {
        let mut files = running.unfinished;
        // Only a task of one file convicts that file: the last file of a longer task may
        // have run out of time (or memory) that the files before it used.
        let alone = running.task.files.len() == 1;
        match files.len() {
            0 => Ok(()),
            1 if !alone => {
                let id = self.next_task_id;
                self.next_task_id += 1;
                self.report.retries += 1;
                self.queue.push_front(Task {
                    id,
                    files,
                    extractors: running.task.extractors,
                });
                Ok(())
            }
            1 => {
                let file = files.remove(0);
                self.progress
                    .line(&format!("skipping {}: {}", file.path, reason.describe()));
                if (self.sink)(file.index, FileOutcome::Failed(reason)) == Flow::Stop {
                    self.report.stopped = true;
                }
                self.progress.file_done(0);
                Ok(())
            }
            n => {
                let second = files.split_off(n / 2);
                for half in [second, files].into_iter() {
                    let id = self.next_task_id;
                    self.next_task_id += 1;
                    self.report.retries += 1;
                    self.queue.push_front(Task {
                        id,
                        files: half,
                        extractors: running.task.extractors.clone(),
                    });
                }
                Ok(())
            }
        }
    }

    /// Ends every worker: politely when the run completed, by TERM / KILL otherwise.
    fn shutdown(&mut self, abrupt: bool) {
        for slot in 0..self.workers.len() {
            let Some(mut worker) = self.workers[slot].take() else {
                continue;
            };
            let polite = !abrupt
                && worker.running.is_none()
                && worker
                    .stdin
                    .as_mut()
                    .is_some_and(|stdin| write_frame(stdin, &ToWorker::Shutdown).is_ok());
            drop(worker.stdin.take());
            let reaped = if polite {
                let deadline = Instant::now() + self.options.grace;
                while Instant::now() < deadline && !unix::has_exited(worker.pid) {
                    std::thread::sleep(Duration::from_millis(2));
                }
                // Anything the worker left in its group goes too, before the pid is freed.
                unix::signal_group(worker.pid, libc::SIGKILL);
                unix::reap(worker.pid, true)
            } else {
                unix::terminate_group(worker.pid, self.options.grace)
            };
            signals::unregister_worker(worker.pid);
            if let Some(r) = reaped {
                self.stats[slot].peak = self.stats[slot].peak.max(r.max_rss);
            }
        }
    }
}
