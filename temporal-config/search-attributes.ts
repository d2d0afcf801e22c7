import { TypedSearchAttributes } from '@temporalio/common';
import { searchAttributes } from '../src/workflows/search-attributes';

/** The custom search attributes the dev server registers; defined once in src/workflows/search-attributes.ts. */
export { searchAttributes };

/** `Name=Keyword` pairs, as `temporal server start-dev --search-attribute` and `operator search-attribute create` take them. */
export function searchAttributePairs(): string[] {
  return searchAttributes.map(({ name, type }) => `${name}=${TypedSearchAttributes.toMetadataType(type)}`);
}

export function searchAttributeArgs(): string[] {
  return searchAttributePairs().flatMap((pair) => ['--search-attribute', pair]);
}
