//! Per-epoch metrics and the confusion matrix.

use core::fmt;

/// Counts of (true digit, predicted digit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    /// `counts[truth][predicted]`.
    pub counts: [[u32; 10]; 10],
}

impl Confusion {
    /// Records one prediction.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.counts[truth][predicted] += 1;
    }

    /// Predictions recorded.
    pub fn total(&self) -> u32 {
        self.counts.iter().flatten().sum()
    }

    /// The fraction predicted correctly.
    pub fn accuracy(&self) -> f32 {
        let right: u32 = (0..10).map(|d| self.counts[d][d]).sum();
        right as f32 / self.total().max(1) as f32
    }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "true \\ predicted {}",
            (0..10).map(|d| format!("{d:>5}")).collect::<String>()
        )?;
        for (d, row) in self.counts.iter().enumerate() {
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
        "epoch,lr,train_loss,train_accuracy,test_accuracy,images_per_sec,seconds";

    /// Reads a line written by [`EpochMetrics::csv_row`] (the confusion
    /// matrix is not in the CSV and comes back empty).
    pub fn from_csv_row(line: &str) -> Option<EpochMetrics> {
        let f: Vec<&str> = line.trim().split(',').collect();
        let [epoch, lr, loss, train, test, ips, secs] = f.as_slice() else {
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
            confusion: Confusion::default(),
        })
    }

    /// One CSV line.
    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{:.6},{:.6},{:.6},{:.1},{:.2}",
            self.epoch,
            self.lr,
            self.train_loss,
            self.train_accuracy,
            self.test_accuracy,
            self.images_per_sec,
            self.seconds
        )
    }
}
