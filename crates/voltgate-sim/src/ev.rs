//! The electric vehicle plugged into a simulated connector.
//!
//! For now an EV only decides how much current it draws from what the connector offers; it is
//! the place where battery size, state of charge and charging curves will go when the simulator
//! API models full sessions.

/// A plugged-in EV.
#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    /// The most current per phase its on-board charger takes, in A.
    pub max_current_a: f64,
    /// How many phases its on-board charger uses (1 to 3).
    pub phases: u8,
}

impl Default for Ev {
    /// A common European EV: 16 A on three phases (11 kW).
    fn default() -> Self {
        Ev {
            max_current_a: 16.0,
            phases: 3,
        }
    }
}

impl Ev {
    /// The current it draws when the connector offers `offered_a` per phase.
    pub fn draw(&self, offered_a: f64) -> f64 {
        offered_a.clamp(0.0, self.max_current_a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_no_more_than_offered_nor_than_it_takes() {
        let ev = Ev::default();
        assert_eq!(ev.draw(32.0), 16.0);
        assert_eq!(ev.draw(6.0), 6.0);
        assert_eq!(ev.draw(-1.0), 0.0);
    }
}
