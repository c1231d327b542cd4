/**
 * The reference data: every file the project's experiments, benchmarks and data-dependent tests read, each
 * pinned to a commit of the public GitHub repository it is served from and to its SHA-256 and size, laid out
 * as `<set>/<file>` (the layout of the workplace folder the experiments were first run on). `mini-llama data
 * get reference` fetches them, so a clone can reproduce docs/results.md without that folder.
 *
 * The hashes are those of the copies the published numbers were measured on; a server that sends other bytes
 * is refused. Licences: see each source repository (SST, IMDB, AG News and TinyStories keep their original
 * terms; the Llama 2 tokenizer is under Meta's Llama 2 Community License; llama2.c is MIT).
 */

/** One file: where GitHub serves it and what its bytes must be. */
export interface ReferenceFile {
  /** File name inside its set's directory. */
  name: string;
  /** owner/name on GitHub. */
  repo: string;
  /** The commit it is read at (a full hash: the URL never moves). */
  commit: string;
  /** Path inside the repository. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface ReferenceSet {
  /** Directory name under the reference root. */
  name: string;
  about: string;
  files: readonly ReferenceFile[];
}

export const REFERENCE_SETS = [
  {
    name: 'ag_news',
    about:
      'AG News topics (Zhang et al. 2015): the whole test split (7,600, quoted CSV without header) and two training samples',
    files: [
      {
        name: 'test.csv',
        repo: 'Hongcheng-Gao/RobTest-Demo',
        commit: 'ed917c2546bda37908f65e417d28722520eac615',
        path: 'data/agnews/test copy.csv',
        bytes: 1857427,
        sha256: '521465c2428ed7f02f8d6db6ffdd4b5447c1c701962353eb2c40d548c3c85699',
      },
      {
        name: 'readme.txt',
        repo: 'Hongcheng-Gao/RobTest-Demo',
        commit: 'ed917c2546bda37908f65e417d28722520eac615',
        path: 'data/agnews/readme.txt',
        bytes: 1795,
        sha256: '779c2e6bbf93dd810d9c7b318006daef7a4bfc34062002461d251dc10fb9f58c',
      },
      {
        name: 'classes.txt',
        repo: 'Shane-Neeley/CharCnn_Keras',
        commit: '3e6cdbf2f97e3cbbfa349d1abf8a951e18694372',
        path: 'data/ag_news_csv/classes.txt',
        bytes: 31,
        sha256: '612dbfa932f07a6ed837295a7d5746ce7412e7bb4bc32ba919fdb3cda3a1b9b5',
      },
      {
        name: 'train_head581.csv',
        repo: 'Shane-Neeley/CharCnn_Keras',
        commit: '3e6cdbf2f97e3cbbfa349d1abf8a951e18694372',
        path: 'data/ag_news_csv/train.csv',
        bytes: 149135,
        sha256: '18814fe75c820db66650ba4da85c453deaea037f8abf89d52b1eee292328549a',
      },
      {
        name: 'train_sample5000_hf.csv',
        repo: 'lst11111/bert-text-classification',
        commit: 'd52bf84e15f59794226916f08e74702b3f70389c',
        path: 'data/ag_news/train.csv',
        bytes: 1207718,
        sha256: '23ff4a798bef4c6f1bab4018f491757b87e124901515e4e208461e022a163401',
      },
    ],
  },
  {
    name: 'llama2-tokenizer',
    about:
      "the Llama 2 SentencePiece tokenizer (32,000 pieces) and llama2.c's tokenizer.bin (Meta's Llama 2 licence)",
    files: [
      {
        name: 'tokenizer.model',
        repo: 'karpathy/llama2.c',
        commit: '350e04fe35433e6d2941dce5a1f53308f87058eb',
        path: 'tokenizer.model',
        bytes: 499723,
        sha256: '9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347',
      },
      {
        name: 'tokenizer.bin',
        repo: 'karpathy/llama2.c',
        commit: '350e04fe35433e6d2941dce5a1f53308f87058eb',
        path: 'tokenizer.bin',
        bytes: 433869,
        sha256: '50a52ef822ee9e83de5ce9d0be0a025a773d019437f58b5ff9dcafb063ece361',
      },
    ],
  },
  {
    name: 'minllama-sst5-cfimdb',
    about: 'SST-5 and CFIMDB as the CMU minllama assignment ships them (`label ||| text`)',
    files: [
      {
        name: 'sst-train.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/sst-train.txt',
        bytes: 936994,
        sha256: '7aeac81f2a387f2ce7fab98ed8f40ef85cc9c8ad11bcbb63b122e95665cb1f35',
      },
      {
        name: 'sst-dev.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/sst-dev.txt',
        bytes: 121643,
        sha256: '11963c76cd073e68006da0390620aadf5a4b8f775e2f900e92a50b3002e39b9b',
      },
      {
        name: 'sst-test.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/sst-test.txt',
        bytes: 242474,
        sha256: 'bdcc8352d37bdc82113e4a4dd887b824144201539d5a1e49be566232d306a4ba',
      },
      {
        name: 'sst-label-mapping.json',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/sst-label-mapping.json',
        bytes: 49,
        sha256: '831e6914e25d9b9eb56ff9095b3f035bdaf1b9568d385a70ef481c82af0382b3',
      },
      {
        name: 'cfimdb-train.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/cfimdb-train.txt',
        bytes: 1629241,
        sha256: '278e200499d1d68a1a9d80e3947a2203cc97130632d8a53f2b9c11de9cb6c699',
      },
      {
        name: 'cfimdb-dev.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/cfimdb-dev.txt',
        bytes: 239671,
        sha256: 'b38f0c095c4624e85927116728140e96d0221969b34146f65eae5b5bb24752b8',
      },
      {
        name: 'cfimdb-test.txt',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/cfimdb-test.txt',
        bytes: 465946,
        sha256: '8ad2f6da7bfb0e8fc36cf89eda47c574cc9c35d6347e665f31bc904d9ecfe0a7',
      },
      {
        name: 'cfimdb-label-mapping.json',
        repo: 'neubig/minllama-assignment',
        commit: '2951cddba218b7ddfe69295b77ad51a05107d384',
        path: 'data/cfimdb-label-mapping.json',
        bytes: 16,
        sha256: 'afeac43f5a5fe8758469078418519df4c8503c2e30e2fcf6c61464fce3d44a36',
      },
    ],
  },
  {
    name: 'sst2',
    about: "SST-2 as GLUE's TSVs (`sentence<TAB>label`, a header line)",
    files: [
      {
        name: 'train.tsv',
        repo: 'eyalbd2/Reproducing-AutoPrompt',
        commit: '6288fb5bec9c572f2492875ae0111df5b6daed11',
        path: 'glue_data/SST-2/train_full.tsv',
        bytes: 3806081,
        sha256: '48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1',
      },
      {
        name: 'dev.tsv',
        repo: 'eyalbd2/Reproducing-AutoPrompt',
        commit: '6288fb5bec9c572f2492875ae0111df5b6daed11',
        path: 'glue_data/SST-2/dev.tsv',
        bytes: 94931,
        sha256: '54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0',
      },
      {
        name: 'test.tsv',
        repo: 'eyalbd2/Reproducing-AutoPrompt',
        commit: '6288fb5bec9c572f2492875ae0111df5b6daed11',
        path: 'glue_data/SST-2/test.tsv',
        bytes: 197335,
        sha256: '69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13',
      },
    ],
  },
  {
    name: 'tinystories',
    about:
      "TinyStories subsets (Eldan & Li 2023): v1 train's first 1,000 stories, v1 validation's head, 5 V2 stories",
    files: [
      {
        name: 'tinystories_v1_valid_head.txt',
        repo: 'yuninxia/moe-routing-bench',
        commit: 'bb9bb0bd461aa77cf6ab89423b758f586a6f75d1',
        path: 'data/tinystories_val.txt',
        bytes: 794375,
        sha256: '5fc1fb0113df62b567fb271806cd645ce8d75f59c58ca0b764c03d3b6ff34ca6',
      },
      {
        name: 'tinystories_v1_train_first1000.txt',
        repo: 's-ajaykumar/smallGPT',
        commit: 'b8b899265a5574abd2c19d8857039309184a357c',
        path: 'data/tiny_stories.txt',
        bytes: 944426,
        sha256: 'c56cfd24fb1c542b141a396184b822a4db3672abdb4c49c6aa843171c5e822a5',
      },
      {
        name: 'tinystories_v2_sample_cs336.txt',
        repo: 'stanford-cs336/assignment1-basics',
        commit: '25a8a49f6460c83a30416d42348f2ef11d1dd185',
        path: 'tests/fixtures/tinystories_sample.txt',
        bytes: 3794,
        sha256: 'defaedb58bf28079f3e29c6142cb7f3568d331a577e0911c5d7925c465c50c43',
      },
    ],
  },
  {
    name: 'uci-sentiment',
    about:
      'the UCI sentiment sentences (Kotzias et al. 2015): Amazon, IMDb and Yelp, 1,000 each (`sentence<TAB>label`)',
    files: [
      {
        name: 'amazon_cells_labelled.txt',
        repo: 'kvrao/sentiment_analysis',
        commit: '462f7304ab341f1b5014e6eae56100bfe35d703a',
        path: 'sentiment labelled sentences/amazon_cells_labelled.txt',
        bytes: 58226,
        sha256: '47003fc0a0d4840b00e96e715b6189bad09e7443a3da41c4cbe12ffc79f86ae3',
      },
      {
        name: 'imdb_labelled.txt',
        repo: 'kvrao/sentiment_analysis',
        commit: '462f7304ab341f1b5014e6eae56100bfe35d703a',
        path: 'sentiment labelled sentences/imdb_labelled.txt',
        bytes: 85187,
        sha256: 'c662b9360c1652babb990d164835af12aa105db7991f1fdb19038115f0e93de8',
      },
      {
        name: 'yelp_labelled.txt',
        repo: 'kvrao/sentiment_analysis',
        commit: '462f7304ab341f1b5014e6eae56100bfe35d703a',
        path: 'sentiment labelled sentences/yelp_labelled.txt',
        bytes: 61293,
        sha256: 'b565b1eeb864d76842588c3a256731b08bcdd9faf6de507bfe211a96f8b81912',
      },
      {
        name: 'readme.txt',
        repo: 'kvrao/sentiment_analysis',
        commit: '462f7304ab341f1b5014e6eae56100bfe35d703a',
        path: 'sentiment labelled sentences/readme.txt',
        bytes: 1070,
        sha256: '736c26aa54e3614459e50314ece0698051f0923d108ed53938dcb1aa0483bfd4',
      },
    ],
  },
  {
    name: 'llama2c',
    about: "llama2.c's run.c (MIT), the generation yardstick of `mini-llama bench --run-c`",
    files: [
      {
        name: 'run.c',
        repo: 'karpathy/llama2.c',
        commit: '350e04fe35433e6d2941dce5a1f53308f87058eb',
        path: 'run.c',
        bytes: 38545,
        sha256: '9c4f2d5c6ae01b71726d1cc37530d71e60bff0ec7cc012565f16a43c1ca658bd',
      },
    ],
  },
] as const satisfies readonly ReferenceSet[];

export type ReferenceSetName = (typeof REFERENCE_SETS)[number]['name'];

export const REFERENCE_SET_NAMES = REFERENCE_SETS.map((set) => set.name) as ReferenceSetName[];

/** GitHub's raw file host, or a mirror with its URL layout. */
export const DEFAULT_GITHUB_RAW_URL = 'https://raw.githubusercontent.com';

/** `{base}/{owner}/{repo}/{commit}/{path}`: where GitHub serves one file of a repository at a commit. */
export function referenceFileUrl(baseUrl: string, file: ReferenceFile): string {
  const encoded = file.path.split('/').map(encodeURIComponent).join('/');
  return `${baseUrl.replace(/\/+$/, '')}/${file.repo}/${file.commit}/${encoded}`;
}
