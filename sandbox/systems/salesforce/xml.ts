/**
 * Just enough XML for the Bulk API 1.0: elements, attributes, text, CDATA and the predefined and
 * numeric entities. Namespace prefixes are dropped (Salesforce matches local names); a DOCTYPE is
 * refused, so no entity of the client's can expand.
 */
export interface XmlNode {
  /** Local name, without any namespace prefix. */
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** The element's own text (CDATA included), entities resolved. */
  text: string;
}

export class XmlSyntaxError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };

function unescape(text: string): string {
  return text.replace(/&([^;&\s]*);?/g, (whole, entity: string) => {
    if (!whole.endsWith(';')) throw new XmlSyntaxError(`unterminated entity reference ${whole}`);
    if (ENTITIES[entity]) return ENTITIES[entity];
    const code = /^#x[0-9a-fA-F]+$/.test(entity) ? parseInt(entity.slice(2), 16) : /^#\d+$/.test(entity) ? Number(entity.slice(1)) : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff) throw new XmlSyntaxError(`undeclared entity &${entity};`);
    return String.fromCodePoint(code);
  });
}

export const escapeXml = (text: string): string => text.replace(/[<>&'"]/g, (c) => `&${Object.keys(ENTITIES).find((k) => ENTITIES[k] === c)!};`);

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** The document's root element; throws XmlSyntaxError when the text is not well-formed. */
export function parseXml(text: string): XmlNode {
  let at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (what: string): never => {
    throw new XmlSyntaxError(`${what} at offset ${at}`);
  };
  /** Whitespace, comments and processing instructions, which may sit between markup. */
  const skipMisc = () => {
    for (;;) {
      while (at < text.length && /\s/.test(text[at])) at++;
      const close = text.startsWith('<?', at) ? '?>' : text.startsWith('<!--', at) ? '-->' : undefined;
      if (!close) return;
      const end = text.indexOf(close, at + 2);
      if (end < 0) fail(`unterminated ${close === '?>' ? 'processing instruction' : 'comment'}`);
      at = end + close.length;
    }
  };
  const name = (): string => {
    const match = /^[A-Za-z_][\w.:-]*/.exec(text.slice(at, at + 256));
    if (!match) fail('expected a name');
    at += match![0].length;
    return match![0];
  };
  const element = (): XmlNode => {
    if (text[at] !== '<') fail('expected an element');
    at++;
    const tag = name();
    const node: XmlNode = { name: localName(tag), attrs: {}, children: [], text: '' };
    for (;;) {
      while (/\s/.test(text[at] ?? '')) at++;
      if (text.startsWith('/>', at)) {
        at += 2;
        return node;
      }
      if (text[at] === '>') {
        at++;
        break;
      }
      const attr = name();
      while (/\s/.test(text[at] ?? '')) at++;
      if (text[at] !== '=') fail('expected =');
      at++;
      while (/\s/.test(text[at] ?? '')) at++;
      const quote = text[at];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = text.indexOf(quote, at + 1);
      if (end < 0) fail('unterminated attribute value');
      node.attrs[attr] = unescape(text.slice(at + 1, end));
      at = end + 1;
    }
    for (;;) {
      if (at >= text.length) fail(`unclosed element <${tag}>`);
      if (text.startsWith('</', at)) {
        at += 2;
        if (name() !== tag) fail(`mismatched closing tag for <${tag}>`);
        while (/\s/.test(text[at] ?? '')) at++;
        if (text[at] !== '>') fail('expected >');
        at++;
        return node;
      }
      if (text.startsWith('<![CDATA[', at)) {
        const end = text.indexOf(']]>', at);
        if (end < 0) fail('unterminated CDATA section');
        node.text += text.slice(at + 9, end);
        at = end + 3;
      } else if (text.startsWith('<!--', at) || text.startsWith('<?', at)) skipMisc();
      else if (text[at] === '<') node.children.push(element());
      else {
        const end = text.indexOf('<', at);
        node.text += unescape(text.slice(at, end < 0 ? text.length : end));
        at = end < 0 ? text.length : end;
      }
    }
  };
  skipMisc();
  if (text.startsWith('<!', at)) fail('DOCTYPE is not allowed');
  const root = element();
  skipMisc();
  if (at < text.length) fail('content after the root element');
  return root;
}
