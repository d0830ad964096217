/**
 * The page cache of each SQLite database elder-sync opens (the state file, the run's working set),
 * as `cache_size` takes it: negative means KiB. better-sqlite3 builds SQLite with a 16 MiB default
 * per connection; a large source filled both, a tenth of the CLI's peak RSS at 100 000 objects.
 * Pages beyond it are read from the file, which the OS caches anyway: the 100 000-user bench ran no
 * slower.
 */
export const SQLITE_CACHE_SIZE = 'cache_size = -4000';
