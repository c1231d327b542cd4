// Two small texts written for this example (no download, no licence to track). The first is what the model
// learns from scratch; the second, in another register, is what the LoRA adapter is fine-tuned on, so the
// adapter's samples can be told apart from the base model's.

/** Pretraining text: short, repetitive sentences, so a tiny byte-level model learns words in a few steps. */
export const PRETRAINING_TEXT = `Once upon a time there was a little cat named Tom. Tom liked to play in the garden.
One day Tom saw a big red ball in the garden. He ran to the ball and pushed it with his paw.
The ball rolled away and Tom ran after it. Tom was happy. He played with the ball all day.
Once upon a time there was a little dog named Sam. Sam liked to run in the park.
One day Sam saw a small blue bird in the park. He sat down and looked at the bird.
The bird sang a song and Sam was happy. Sam and the bird were friends.
Once upon a time there was a little girl named Lily. Lily liked to read books in the sun.
One day Lily saw a big green tree in the park. She sat under the tree and read her book.
The sun was warm and Lily was happy. She read her book all day.
Once upon a time there was a little boy named Ben. Ben liked to play with his toy car.
One day Ben saw a big box in the garden. He put his car in the box and pushed it.
The box rolled away and Ben laughed. Ben was happy. He played with the box all day.
`;

/** Fine-tuning text for the LoRA adapter: a recipe, in the imperative. */
export const FINE_TUNING_TEXT = `Take two cups of flour and a pinch of salt. Mix the flour and the salt in a bowl.
Add one cup of warm milk and stir well. Add two eggs and stir again until the dough is smooth.
Cover the bowl and let the dough rest for one hour. Heat the pan and add a little butter.
Pour a spoon of dough into the pan. Cook it until it is brown, then turn it over.
Take two cups of sugar and a cup of butter. Mix the sugar and the butter in a bowl.
Add three eggs and stir well. Add one cup of flour and stir again until the batter is smooth.
Pour the batter into the pan and bake it for half an hour. Let it cool, then cut it and serve it.
`;

/** What the samples continue. */
export const PRETRAINING_PROMPT = 'Once upon a time';
export const FINE_TUNING_PROMPT = 'Take two cups';
