import { createInterface } from 'node:readline';

export type Answer = 'yes' | 'no' | 'interrupted';

/**
 * Asks on the terminal, Terraform-style: only "yes" applies. Ctrl-C (the terminal is in raw mode
 * while readline reads, so it arrives as a key, not a signal) is `interrupted`; Ctrl-D is a no.
 */
export function askYes(question: string): Promise<Answer> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: Answer) => {
      if (done) return;
      done = true;
      rl.close();
      resolve(answer);
    };
    rl.on('SIGINT', () => {
      process.stdout.write('\n');
      finish('interrupted');
    });
    rl.on('close', () => finish('no'));
    rl.question(question, (answer) => finish(answer.trim() === 'yes' ? 'yes' : 'no'));
  });
}

/** A person is there to answer: stdin and stdout are terminals. Cron, CI and pipes never are. */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}
