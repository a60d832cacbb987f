//! Per-epoch metrics and the confusion matrix.

use core::fmt;

/// Counts of (true class, predicted class).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confusion {
    classes: usize,
    /// `counts[truth * classes + predicted]`.
    counts: Vec<u32>,
    /// Predictions whose five highest scores include the truth.
    pub top5: u32,
}

impl Default for Confusion {
    /// An empty matrix over ten classes (the digits).
    fn default() -> Self {
        Confusion::new(10)
    }
}

impl Confusion {
    /// An empty matrix over `classes` classes.
    pub fn new(classes: usize) -> Self {
        Confusion {
            classes,
            counts: vec![0; classes * classes],
            top5: 0,
        }
    }

    /// The number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Records one prediction.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// Samples of class `truth` predicted as `predicted`.
    pub fn count(&self, truth: usize, predicted: usize) -> u32 {
        self.counts[truth * self.classes + predicted]
    }

    /// Predictions recorded.
    pub fn total(&self) -> u32 {
        self.counts.iter().sum()
    }

    /// Records one prediction from its class scores: the arg-max (ties to
    /// the first) into the matrix, and whether the truth is among the five
    /// highest.
    pub fn add_scores(&mut self, truth: usize, scores: &[f32]) {
        let best = scores
            .iter()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |b, (i, &v)| if v > b.1 { (i, v) } else { b },
            )
            .0;
        self.add(truth, best);
        // the truth is in the top five when fewer than five scores beat it
        let beaten_by = scores.iter().filter(|&&v| v > scores[truth]).count();
        if beaten_by < 5 {
            self.top5 += 1;
        }
    }

    /// The fraction whose truth was among the five highest scores.
    pub fn top5_accuracy(&self) -> f32 {
        self.top5 as f32 / self.total().max(1) as f32
    }

    /// The fraction predicted correctly.
    pub fn accuracy(&self) -> f32 {
        let right: u32 = (0..self.classes).map(|d| self.count(d, d)).sum();
        right as f32 / self.total().max(1) as f32
    }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "true \\ predicted {}",
            (0..self.classes)
                .map(|d| format!("{d:>5}"))
                .collect::<String>()
        )?;
        for (d, row) in self.counts.chunks_exact(self.classes.max(1)).enumerate() {
            writeln!(
                f,
                "{d:>16} {}",
                row.iter().map(|c| format!("{c:>5}")).collect::<String>()
            )?;
        }
        Ok(())
    }
}

/// What one epoch measured.
#[derive(Clone, Debug)]
pub struct EpochMetrics {
    /// The epoch, from 1.
    pub epoch: usize,
    /// Its learning rate.
    pub lr: f32,
    /// Mean training loss.
    pub train_loss: f32,
    /// Training accuracy (dropout on, weights moving).
    pub train_accuracy: f32,
    /// Accuracy on the test split after the epoch.
    pub test_accuracy: f32,
    /// Top-5 accuracy on the test split after the epoch.
    pub test_top5: f32,
    /// Mean cross-entropy on the test split after the epoch (NaN when
    /// read from a CSV written before it was recorded).
    pub test_loss: f32,
    /// Training throughput (forward, loss, backward, update).
    pub images_per_sec: f32,
    /// Wall time of the epoch, evaluation included.
    pub seconds: f32,
    /// The test split's confusion matrix.
    pub confusion: Confusion,
}

impl EpochMetrics {
    /// The CSV header matching [`EpochMetrics::csv_row`].
    pub const CSV_HEADER: &'static str =
        "epoch,lr,train_loss,train_accuracy,test_accuracy,images_per_sec,seconds,test_top5,test_loss";

    /// Reads a line written by [`EpochMetrics::csv_row`] (the confusion
    /// matrix is not in the CSV and comes back empty), or by an earlier
    /// version without the test loss.
    pub fn from_csv_row(line: &str) -> Option<EpochMetrics> {
        let f: Vec<&str> = line.trim().split(',').collect();
        let (fields, test_loss) = match f.as_slice() {
            [rest @ .., test_loss] if rest.len() == 8 => (rest, test_loss.parse().ok()?),
            rest => (rest, f32::NAN),
        };
        let [epoch, lr, loss, train, test, ips, secs, top5] = fields else {
            return None;
        };
        Some(EpochMetrics {
            epoch: epoch.parse().ok()?,
            lr: lr.parse().ok()?,
            train_loss: loss.parse().ok()?,
            train_accuracy: train.parse().ok()?,
            test_accuracy: test.parse().ok()?,
            images_per_sec: ips.parse().ok()?,
            seconds: secs.parse().ok()?,
            test_top5: top5.parse().ok()?,
            test_loss,
            confusion: Confusion::default(),
        })
    }

    /// One CSV line.
    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{:.6},{:.6},{:.6},{:.1},{:.2},{:.6},{:.6}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_accuracy,
            self.test_accuracy,
            self.images_per_sec,
            self.seconds,
            self.test_top5,
            self.test_loss
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_5_counts_the_truth_among_the_five_highest_scores() {
        let mut c = Confusion::default();
        // truth 0 ranks 1st; truth 9 ranks 5th (four beat it); truth 3 ranks 7th
        let scores = [9.0, 8.0, 7.0, 3.0, 6.0, 5.0, 4.0, 2.0, 1.0, 5.5];
        c.add_scores(0, &scores);
        c.add_scores(9, &scores);
        c.add_scores(3, &scores);
        assert_eq!((c.total(), c.top5), (3, 2));
        assert_eq!(c.accuracy(), 1.0 / 3.0);
        assert_eq!(c.top5_accuracy(), 2.0 / 3.0);
        assert_eq!(c.count(9, 0), 1, "the arg-max is the prediction");
    }
}
