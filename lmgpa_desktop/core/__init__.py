"""Use cases of the app, without Qt: the CLI and the GUI both call these.

The kernel (imports no feature package):
  context        AppContext, the open profile and its per-profile state; open_context()
  errors         errors callers catch (UserError, StartupError)
  jobs           the persistent job queue, @job_kind and JobRun (what a running job sees)
  job_progress   a job's Progress report and JobError
  workers        one worker thread per engine queue; a profile's SerialWorker
  activity       the student's actions as events, and the EventBus their listeners hang on
  settings       typed settings with defaults
  formatting, text_metrics, words
                 small text helpers (sizes and clocks; error rates; stopwords)
  models/        which model file each engine uses (registry), the bundled defaults (bundled, export), catalogue
                 language models (gguf_packages) and installing them with pip or, in the bundle, by download
  maintenance    housekeeping jobs (check models, install one, back up the database)
  self_test, self_test_checks
                 `lmgpa --self-test` and Settings -> About: every native part used once, a table of results

profile.py opens a profile: the context, then every feature listener. The features, each over the ones after
it: online (account and sync), progress (sessions, goals, points, achievements, reminders), study (notes,
cards, review, practice, chat, read-aloud), library (sources, indexing, search), capture (recording,
transcription, document text).
"""
