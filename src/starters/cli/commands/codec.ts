import { Command } from 'commander';
import { newCodecKey } from '../../../temporal/payload-codec';
import { action } from '../action';
import { emit } from '../output';

/** `retailctl codec new-key [--id ID]`: a fresh payload key entry to put first in the keys file (rotation). */
export function codecCommand(): Command {
  const codec = new Command('codec').description('payload encryption keys');
  codec
    .command('new-key')
    .description('print a new key entry ({"id","key"}): put it first in PAYLOAD_CODEC_KEYS(_FILE) and keep the older keys until no history needs them')
    .option('--id <id>', 'key id (default k-<date>-<random>)')
    .action(
      action<{ id?: string }>(async (ctx, _args, options) => {
        const key = newCodecKey(options.id);
        emit(ctx, key, () => JSON.stringify(key));
      }),
    );
  return codec;
}
