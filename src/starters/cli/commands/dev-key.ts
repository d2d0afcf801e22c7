import { Command } from 'commander';
import { developmentKeyPath, readDevelopmentKey } from '../../http/dev-key';
import { action } from '../action';
import { notFoundError } from '../errors';
import { emit } from '../output';

/** `retailctl dev-key`: the local API's development key, for curl or a Flow under test (`-H "…: $(retailctl dev-key)"`). */
export function devKeyCommand(): Command {
  return new Command('dev-key')
    .description("print the local HTTP API's development key (made by npm start in RETAIL_STATE_DIR; exit 3 when none yet)")
    .action(
      action(async (ctx) => {
        const stateDir = ctx.config.stateDir;
        const key = readDevelopmentKey(stateDir);
        if (!key) throw notFoundError(`no development API key in ${developmentKeyPath(stateDir)}: npm start makes one when the API listens on loopback with no key configured`);
        emit(ctx, { key, path: developmentKeyPath(stateDir) }, () => key);
      }),
    );
}
