import {
  DEFAULT_TRAINER_SPEC,
  IDENTITY_NORMALIZER,
  type NormalizerSpec,
  PieceType,
  parseBytePiece,
  type SentencePiece,
  type SentencePieceModel,
} from './sentence-piece-model.js';

export interface VocabularyWithMerges {
  /** Piece of each id, dense from 0. */
  pieces: readonly string[];
  /** Merges in rank order, highest priority first, as HF tokenizers' BPE lists them. */
  merges: readonly (readonly [string, string])[];
  /** Ids of special tokens (HF's added tokens with `special: true`); the <unk> id among them is UNKNOWN. */
  specialIds: ReadonlySet<number>;
  /** Ids of HF's added tokens that are not special: SentencePiece's USER_DEFINED pieces. */
  userDefinedIds?: ReadonlySet<number>;
  unkId: number;
  byteFallback: boolean;
  normalizer?: NormalizerSpec;
}

/**
 * An HF-style BPE vocabulary (vocab + ranked merges) as a SentencePiece model. SentencePiece merges by the
 * score of the merged piece, HF by the rank of the merge; HF's converter lists merges in score order
 * (transformers' SentencePieceExtractor), so score = −(rank of the first merge that makes the piece) keeps the
 * order. Pieces no merge makes (characters, specials, bytes) never win a merge, so their scores only have to
 * rank below every merge. What does not survive: equal SentencePiece scores (Llama 2's runs of "▁" share
 * −1e9) become distinct ranks.
 */
export function modelFromMerges(vocabulary: VocabularyWithMerges): SentencePieceModel {
  const { pieces, merges, specialIds, userDefinedIds, unkId, byteFallback } = vocabulary;
  const firstRank = new Map<string, number>();
  merges.forEach(([left, right], rank) => {
    const merged = left + right;
    if (!firstRank.has(merged)) firstRank.set(merged, rank);
  });
  const sentencePieces: SentencePiece[] = pieces.map((piece, id) => {
    let type: PieceType = PieceType.normal;
    if (id === unkId) type = PieceType.unknown;
    else if (specialIds.has(id)) type = PieceType.control;
    else if (userDefinedIds?.has(id)) type = PieceType.userDefined;
    else if (byteFallback && parseBytePiece(piece) !== null) type = PieceType.byte;
    const rank = firstRank.get(piece);
    let score = 0;
    if (rank !== undefined) score = -rank;
    else if (type === PieceType.normal) score = -(merges.length + id);
    return { piece, score, type };
  });
  const idOf = (piece: string): number => pieces.indexOf(piece);
  return {
    pieces: sentencePieces,
    trainerSpec: {
      ...DEFAULT_TRAINER_SPEC,
      vocabSize: pieces.length,
      byteFallback,
      unkId,
      unkPiece: pieces[unkId] ?? DEFAULT_TRAINER_SPEC.unkPiece,
      bosId: specialId(idOf(DEFAULT_TRAINER_SPEC.bosPiece), specialIds),
      eosId: specialId(idOf(DEFAULT_TRAINER_SPEC.eosPiece), specialIds),
      padId: specialId(idOf(DEFAULT_TRAINER_SPEC.padPiece), specialIds),
    },
    normalizerSpec: vocabulary.normalizer ?? { ...IDENTITY_NORMALIZER },
  };
}

/** HF files do not say which token is BOS; SentencePiece's default names (<s>, </s>, <pad>) do. */
function specialId(id: number, specialIds: ReadonlySet<number>): number {
  return specialIds.has(id) ? id : -1;
}
