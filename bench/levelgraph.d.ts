// levelgraph 4 ships no types; the benchmark uses its callback API as documented.
declare module 'levelgraph';
