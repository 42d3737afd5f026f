//! The course's bank account: transfers of `amount` onto one balance, each a read, a delay, an
//! add, a delay and a write, done by threads that share the balance. Unlocked, two transfers
//! that overlap both read the old balance and the later write erases the earlier one: a lost
//! update. The balance is an atomic, so even the racy version is defined behaviour; the race is
//! in the program's logic, as it was in the course's Python.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Duration;

/// How the threads update the shared balance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Guard {
    /// Read and write with no lock (relaxed atomic load, then store): updates get lost.
    Racy,
    /// The whole read-modify-write under a mutex.
    Mutex,
    /// One atomic fetch_add per transfer.
    Atomic,
}

/// The course's pause between the steps of a transfer (no pause for 0).
pub fn pause(delay: Duration) {
    if !delay.is_zero() {
        std::thread::sleep(delay);
    }
}

/// Runs `transfers` transfers of `amount` onto `initial` with `threads` threads started
/// together (transfer j on thread j mod threads) and returns the final balance. With
/// `drop_lock` (a test hook) the mutex is not taken, so the check must catch the loss. Each
/// thread asks `abandon` before each transfer, and again once it holds the mutex, and stops
/// when it says so (the balance is then short, and the caller drops the run).
#[allow(clippy::too_many_arguments)]
pub fn run_threads(
    guard: Guard,
    threads: usize,
    transfers: usize,
    initial: i64,
    amount: i64,
    delay: Duration,
    drop_lock: bool,
    abandon: &(dyn Fn() -> bool + Sync),
) -> i64 {
    let balance = AtomicI64::new(initial);
    let locked = Mutex::new(initial);
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (balance, locked, start) = (&balance, &locked, &start);
            s.spawn(move || {
                start.wait();
                for _ in (t..transfers).step_by(threads) {
                    if abandon() {
                        break;
                    }
                    match guard {
                        Guard::Racy => {
                            let read = balance.load(Ordering::Relaxed);
                            pause(delay);
                            let new = read + amount;
                            pause(delay);
                            balance.store(new, Ordering::Relaxed);
                        }
                        Guard::Mutex if drop_lock => {
                            let read = *locked.lock().unwrap();
                            pause(delay);
                            pause(delay);
                            *locked.lock().unwrap() = read + amount;
                        }
                        Guard::Mutex => {
                            let mut held = locked.lock().unwrap();
                            // Transfers wait for the lock one after the other: look again.
                            if abandon() {
                                break;
                            }
                            let read = *held;
                            pause(delay);
                            let new = read + amount;
                            pause(delay);
                            *held = new;
                        }
                        Guard::Atomic => {
                            pause(delay);
                            balance.fetch_add(amount, Ordering::Relaxed);
                            pause(delay);
                        }
                    }
                }
            });
        }
    });
    match guard {
        Guard::Mutex => locked.into_inner().unwrap(),
        _ => balance.into_inner(),
    }
}

/// The transfers lost, from the final balance: `balance = initial + amount·(transfers − lost)`.
/// A balance that fits no whole number of transfers, or more than all of them, is an error.
pub fn lost_transfers(balance: i64, initial: i64, amount: i64, transfers: usize) -> Result<u64, String> {
    let gained = balance - initial;
    if gained < 0 || gained % amount != 0 || gained / amount > transfers as i64 {
        return Err(format!(
            "balance {balance} is not {initial} plus a whole number (0 to {transfers}) of transfers of {amount}"
        ));
    }
    Ok(transfers as u64 - (gained / amount) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_and_atomic_transfers_are_never_lost() {
        for guard in [Guard::Mutex, Guard::Atomic] {
            let balance = run_threads(guard, 8, 100, 1, 100, Duration::from_micros(50), false, &|| false);
            assert_eq!(balance, 10_001, "{guard:?}");
        }
    }

    #[test]
    fn overlapping_unlocked_transfers_lose_updates() {
        // 8 threads that all read before anyone writes: at most one write per round survives.
        let balance = run_threads(Guard::Racy, 8, 8, 1, 100, Duration::from_millis(20), false, &|| false);
        assert!(lost_transfers(balance, 1, 100, 8).unwrap() >= 1, "balance {balance}");
        let dropped = run_threads(Guard::Mutex, 8, 8, 1, 100, Duration::from_millis(20), true, &|| false);
        assert!(lost_transfers(dropped, 1, 100, 8).unwrap() >= 1, "balance {dropped}");
    }

    #[test]
    fn one_thread_cannot_race() {
        assert_eq!(run_threads(Guard::Racy, 1, 10, 1, 100, Duration::ZERO, false, &|| false), 1001);
        // Abandoned at once: no transfer made.
        assert_eq!(run_threads(Guard::Mutex, 4, 10, 1, 100, Duration::ZERO, false, &|| true), 1);
    }

    #[test]
    fn lost_transfers_follow_from_the_balance() {
        assert_eq!(lost_transfers(201, 1, 100, 100), Ok(98));
        assert_eq!(lost_transfers(10_001, 1, 100, 100), Ok(0));
        assert_eq!(lost_transfers(1, 1, 100, 100), Ok(100));
        assert!(lost_transfers(250, 1, 100, 100).is_err());
        assert!(lost_transfers(20_001, 1, 100, 100).is_err());
        assert!(lost_transfers(-99, 1, 100, 100).is_err());
    }
}
