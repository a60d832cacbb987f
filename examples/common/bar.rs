//! The epoch progress bar the training examples show.

use indicatif::{ProgressBar, ProgressStyle};

/// An empty bar: `{prefix} [bar] seen/total {message} (elapsed, eta)`.
pub fn epoch_bar() -> Result<ProgressBar, Box<dyn std::error::Error>> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30.cyan/blue}] {pos:>6}/{len} {msg} ({elapsed}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    Ok(bar)
}

/// Moves the bar to `seen` of `total` in epoch `epoch` of `epochs`,
/// starting it afresh when a new epoch begins.
pub fn show_step(
    bar: &ProgressBar,
    (epoch, epochs): (usize, usize),
    seen: usize,
    total: usize,
    message: String,
) {
    if bar.length() != Some(total as u64) || seen < bar.position() as usize {
        bar.reset();
        bar.set_length(total as u64);
        bar.set_prefix(format!("epoch {epoch:>2}/{epochs}"));
    }
    bar.set_position(seen as u64);
    bar.set_message(message);
}
