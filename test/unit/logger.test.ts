import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../../src/observability/logger';

/** A logger as the product makes it, writing its formatted lines to memory as well. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level, format: 'json', context: { component: 'test' } });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) }) }));
  return { logger, lines };
}

describe('logger', () => {
  it('writes entries at and above its level, through child loggers too, redacted', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.info('shown', { orderNumber: 'SO-1' });
    logger.child({ workflowId: 'refund/1' }).debug('hidden child');
    logger.child({ workflowId: 'refund/1' }).warn('shown child', { password: 'hunter2' });
    logger.log('debug', 'hidden log');
    logger.log({ level: 'error', message: 'shown entry' });
    assert.deepEqual(
      lines.map((l) => [l.level, l.message]),
      [
        ['info', 'shown'],
        ['warn', 'shown child'],
        ['error', 'shown entry'],
      ],
    );
    assert.equal(lines[0].orderNumber, 'SO-1');
    assert.equal(lines[1].workflowId, 'refund/1');
    assert.equal(lines[1].password, '***');
  });

  it('does not format an entry below its level (no timestamp, no redaction), and follows a level changed later', () => {
    const { logger, lines } = capture('error');
    const toISOString = Date.prototype.toISOString;
    let stamped = 0;
    Date.prototype.toISOString = function (this: Date) {
      stamped++;
      return toISOString.call(this);
    };
    try {
      for (let i = 0; i < 10; i++) logger.info('process started', { requestId: String(i) });
      assert.equal(stamped, 0, 'an entry below the level was formatted');
      logger.error('failed');
      assert.equal(stamped, 1);
    } finally {
      Date.prototype.toISOString = toISOString;
    }
    logger.level = 'info';
    logger.info('now shown');
    assert.deepEqual(lines.map((l) => l.message), ['failed', 'now shown']);
  });
});
