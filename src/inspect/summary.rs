//! The layer table of a declared network, in the spirit of torchinfo.

use core::fmt;

/// One layer of a [`Summary`].
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The layer's name in the declaration, under its blocks' names
    /// (`r1.conv1`, `cat.b1.c`); for an unnamed layer, its block's name
    /// and a dot (`r1.`), or nothing at the top level.
    pub name: String,
    /// What the layer is, with its kernel size.
    pub kind: String,
    /// Per-sample output shape; `None` for a size known only at run time.
    pub output: Vec<Option<u64>>,
    /// Trainable parameters.
    pub params: u64,
    /// Multiply-adds per sample; `None` when a size is only known at run time.
    pub macs: Option<u64>,
    /// The part of [`Row::macs`] that multiplies by weights: convolutions,
    /// linear layers, a residual's projection, a highway's gate (batch norm,
    /// pooling and activations excluded). This is the count torchvision's
    /// documentation and most papers report.
    pub weight_macs: Option<u64>,
    /// Receptive field in input pixels (height, width); `None` after flattening.
    pub receptive_field: Option<(u64, u64)>,
    /// Distance in input pixels between neighbouring outputs (height, width).
    pub jump: Option<(u64, u64)>,
    /// Connections as LeCun et al. (1998) count them: each output unit's
    /// inputs plus its bias, a shared weight counted at every position it
    /// is used; for trainable layers (convolutions, subsampling, linear).
    pub connections: Option<u64>,
}

/// Every layer's output shape, parameters, multiply-adds, receptive field and jump.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// The network's name.
    pub name: String,
    /// Per-sample input shape.
    pub input: Vec<Option<u64>>,
    /// One row per layer, in order.
    pub rows: Vec<Row>,
}

impl Summary {
    /// Total trainable parameters.
    pub fn params(&self) -> u64 {
        self.rows.iter().map(|r| r.params).sum()
    }

    /// Total multiply-adds per sample, if every size is known.
    pub fn macs(&self) -> Option<u64> {
        self.rows.iter().map(|r| r.macs).sum()
    }

    /// Total multiply-adds per sample of convolutions and linear layers
    /// (see [`Row::weight_macs`]), if every size is known.
    pub fn weight_macs(&self) -> Option<u64> {
        self.rows.iter().map(|r| r.weight_macs).sum()
    }

    /// Total connections of the layers that have them (see [`Row::connections`]).
    pub fn connections(&self) -> u64 {
        self.rows.iter().filter_map(|r| r.connections).sum()
    }

    /// The per-sample output shape: the last top-level layer's (the
    /// input's for a network without layers).
    pub fn output(&self) -> &[Option<u64>] {
        self.rows
            .iter()
            .rev()
            .find(|r| !r.name.contains('.'))
            .map_or(&self.input, |r| &r.output)
    }

    /// The row of the layer called `name`.
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// The values every layer outputs per sample, counting each layer
    /// once (a block's layers, not the block too), if every size is known:
    /// what a training pass keeps for the backward pass, as torchinfo
    /// estimates it.
    pub fn activation_values(&self) -> Option<u64> {
        let leaf = |r: &Row| {
            let inner = format!("{}.", r.name);
            !self.rows.iter().any(|o| o.name.starts_with(&inner))
        };
        self.rows
            .iter()
            .filter(|r| leaf(r))
            .map(|r| r.output.iter().copied().product::<Option<u64>>())
            .sum()
    }

    /// The table with a batch of `batch` samples: output shapes with the
    /// batch first, and memory estimates for the batch.
    ///
    /// ```
    /// use splotnet::prelude::*;
    /// use splotnet::zoo::lenet5::LeNet5;
    ///
    /// let text = LeNet5::<f32, Cpu>::summary().for_batch(64).to_string();
    /// assert!(text.contains("64x6x28x28"));
    /// assert!(text.contains("params size: 0.24 MB"));
    /// ```
    pub fn for_batch(&self, batch: usize) -> ForBatch<'_> {
        ForBatch {
            summary: self,
            batch: Some(batch as u64),
        }
    }
}

/// A [`Summary`] shown for a batch (see [`Summary::for_batch`]).
pub struct ForBatch<'a> {
    summary: &'a Summary,
    batch: Option<u64>,
}

fn shape(batch: Option<u64>, dims: &[Option<u64>]) -> String {
    batch
        .map(Some)
        .iter()
        .chain(dims)
        .map(|d| d.map_or_else(|| "_".to_string(), |n| n.to_string()))
        .collect::<Vec<_>>()
        .join("x")
}

fn pair(p: Option<(u64, u64)>) -> String {
    match p {
        Some((a, b)) if a == b => a.to_string(),
        Some((a, b)) => format!("{a}x{b}"),
        None => "-".into(),
    }
}

/// `n` with thousands separated by commas, as the summary prints counts:
/// `25,557,032`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` in the unit that keeps it short: `714.19 M`, `4.09 G`.
pub fn si(n: u64) -> String {
    match n {
        n if n >= 1_000_000_000 => format!("{:.2} G", n as f64 / 1e9),
        n if n >= 1_000_000 => format!("{:.2} M", n as f64 / 1e6),
        n if n >= 1_000 => format!("{:.2} k", n as f64 / 1e3),
        n => n.to_string(),
    }
}

/// Megabytes of `values` f32s.
fn megabytes(values: u64) -> String {
    format!("{:.2} MB", values as f64 * 4.0 / 1e6)
}

/// The layer table; `{:#}` adds the paper's connections column.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let view = ForBatch {
            summary: self,
            batch: None,
        };
        if f.alternate() {
            write!(f, "{view:#}")
        } else {
            write!(f, "{view}")
        }
    }
}

/// The table; per sample without a batch.
impl fmt::Display for ForBatch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, batch) = (self.summary, self.batch);
        let with_connections = f.alternate();
        let header = [
            "layer",
            "kind",
            "output",
            "params",
            "mult-adds",
            "receptive field",
            "jump",
        ];
        let mut table: Vec<Vec<String>> = vec![vec![
            "input".into(),
            String::new(),
            shape(batch, &s.input),
            String::new(),
            String::new(),
            "1".into(),
            "1".into(),
            String::new(),
        ]];
        for r in &s.rows {
            table.push(vec![
                r.name.clone(),
                r.kind.clone(),
                shape(batch, &r.output),
                thousands(r.params),
                r.macs.map_or_else(|| "?".into(), thousands),
                pair(r.receptive_field),
                pair(r.jump),
                r.connections.map_or_else(|| "-".into(), thousands),
            ]);
        }
        let columns = if with_connections { 8 } else { 7 };
        let mut header: Vec<&str> = header.to_vec();
        header.push("connections");
        header.truncate(columns);
        table.iter_mut().for_each(|row| row.truncate(columns));
        let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in &table {
            for (w, cell) in width.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line: usize = width.iter().sum::<usize>() + 3 * (width.len() - 1);
        writeln!(f, "{}", s.name)?;
        writeln!(f, "{}", "=".repeat(line))?;
        let cells = |row: &[String]| -> String {
            row.iter()
                .zip(&width)
                .enumerate()
                .map(|(i, (c, w))| {
                    if i >= 3 {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
        writeln!(f, "{}", cells(&header))?;
        writeln!(f, "{}", "-".repeat(line))?;
        for row in &table {
            writeln!(f, "{}", cells(row))?;
        }
        writeln!(f, "{}", "=".repeat(line))?;
        match s.macs() {
            Some(m) => writeln!(
                f,
                "total mult-adds per sample: {} ({})",
                thousands(m),
                si(m)
            )?,
            None => writeln!(f, "total mult-adds per sample: depends on the input size")?,
        }
        if let Some(m) = s.weight_macs() {
            writeln!(f, "conv and linear mult-adds: {} ({})", thousands(m), si(m))?;
        }
        if with_connections {
            writeln!(f, "total connections: {}", thousands(s.connections()))?;
        }
        let input: Option<u64> = s.input.iter().copied().product();
        let n = batch.unwrap_or(1);
        let per = if batch.is_some() {
            format!("batch of {n}")
        } else {
            "per sample".to_string()
        };
        writeln!(f, "params size: {}", megabytes(s.params()))?;
        if let (Some(input), Some(acts)) = (input, s.activation_values()) {
            writeln!(f, "input size ({per}): {}", megabytes(input * n))?;
            // torchinfo's estimate: each output kept once for the backward
            // pass and once for its gradient
            writeln!(
                f,
                "forward/backward pass size ({per}): {}",
                megabytes(2 * acts * n)
            )?;
            writeln!(
                f,
                "estimated total size ({per}): {}",
                megabytes(input * n + 2 * acts * n + s.params())
            )?;
        }
        writeln!(
            f,
            "trainable params: {} (frozen: 0; batch-norm running statistics are buffers, not counted)",
            thousands(s.params())
        )?;
        // last, where a reader of a long table looks first
        writeln!(f, "total params: {}", thousands(s.params()))
    }
}
