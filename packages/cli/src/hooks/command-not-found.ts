import { Errors, type Hook } from '@oclif/core';

/**
 * An unknown command is bad usage: exit 64 like every other usage error (oclif's default is
 * `exitCodes.default`, 1, which cron would read as a failed sync).
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const typed = options.id.replaceAll(':', ' ');
  const bin = options.config.bin;
  process.stderr.write(`error: unknown command "${typed}"; see "${bin} --help" for the commands\n`);
  throw new Errors.ExitError(64);
};

export default hook;
