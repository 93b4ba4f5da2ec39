//! Small-number suppression for every count that leaves the coordinator's desk (the quarterly
//! report, `stats --publish`): a count from 1 to 4 could point at one person, so it is shown as
//! "<5", and other numbers are hidden ("x") where row and column totals would give it back.
//!
//! # The method
//!
//! A table is published with its row totals, column totals and grand total. A count from 1 to 4,
//! inside the table or as a total, is *primary*: shown as "<5". A reader who knows how the table
//! adds up could still recompute it: a row total minus the row's other cells, or a difference of
//! totals. So the method looks at the table as a reader with every published number would:
//!
//! - a number shown exactly is known;
//! - "<5" means "fewer than five": anything from 0 to 4 (a 0 may be shown as "<5" too, when
//!   that protects a neighbour; the statement is still true);
//! - "x" means "hidden": anything from 0 up.
//!
//! A primary count is protected when there is a *second table* that shows exactly the same
//! thing and differs in that count: the real table with 1 added to and taken from the corners
//! of a rectangle of hidden numbers (two cells in one row, the two below them in another row;
//! a total counts as a cell of the row or column of totals), each corner staying within what
//! its symbol allows. Every row and column sum, and so every difference of sums, is the same
//! in both tables, so no combination of published numbers tells the reader which one is real.
//! For each primary count without such a rectangle, the cheapest rectangle is hidden (a zero
//! as "<5", a larger number as "x"; totals cost more than cells, the grand total most): that
//! is the *complementary* suppression. This repeats until every primary count has its
//! rectangle; hiding more never breaks a rectangle already found. Totals are never computed
//! from the shown cells: a total is the real total, shown, "<5" or "x" by the same rule.
//!
//! Tables of the same quarter share their grand total (the quarter's number of tips), so the
//! grand total is kept fixed where it is shown (`TotalPolicy::Fixed`): each table is then
//! protected on its own, and together they say nothing more, because the report's tables count
//! different facts (municipality × kind, channel, role) and any such tables with the same total
//! can come from one set of tips. A table that cannot be protected that way is not published
//! (`None`); a quarter with 1 to 4 tips is not broken down at all (see [`crate::report`]).
//!
//! What this does not cover: a reader who reruns this method on guessed tables to see which
//! guess gives the published pattern of hidden cells, and numbers published elsewhere (another
//! run after late registrations, or totals the coordinator computes by hand from `stats`).

/// How a count is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// The exact number: 0, or 5 and more.
    Exact(u64),
    /// Fewer than five: from 1 to 4, or a 0 hidden to protect another count.
    FewerThanFive,
    /// Hidden, so that totals do not give a small number back (5 or more, or 0).
    Hidden,
    /// Not published at all (too few tips in the period to break them down).
    Withheld,
}

impl Shown {
    /// The number as a reader sees it: `12`, `<5`, `x` or `–`.
    pub fn text(self) -> String {
        match self {
            Shown::Exact(count) => count.to_string(),
            Shown::FewerThanFive => "<5".to_owned(),
            Shown::Hidden => "x".to_owned(),
            Shown::Withheld => "–".to_owned(),
        }
    }

    /// The exact number, if it is shown.
    pub fn exact(self) -> Option<u64> {
        match self {
            Shown::Exact(count) => Some(count),
            _ => None,
        }
    }

    /// A single count on its own (no table around it): below 5 and above 0 is "<5".
    pub fn single(count: u64) -> Shown {
        if (1..5).contains(&count) {
            Shown::FewerThanFive
        } else {
            Shown::Exact(count)
        }
    }
}

/// Whether the grand total may be hidden to protect a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotalPolicy {
    /// The total is shown elsewhere too (the quarter's number of tips): it stays exact.
    Fixed,
    /// The table stands alone: its total may be "<5" or hidden like any other number.
    Free,
}

/// A two-way table as published: cells (rows × columns), row totals, column totals, total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedTable {
    /// The cells, row by row.
    pub cells: Vec<Vec<Shown>>,
    /// Each row's total.
    pub row_totals: Vec<Shown>,
    /// Each column's total.
    pub column_totals: Vec<Shown>,
    /// The table's total.
    pub total: Shown,
}

/// A one-way table as published: one count per category, and the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectedLine {
    /// The counts, in the categories' order.
    pub cells: Vec<Shown>,
    /// The total.
    pub total: Shown,
}

/// What a reader knows of one number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Published,
    FewerThanFive,
    Hidden,
}

/// The smallest count that is published exactly.
const THRESHOLD: u64 = 5;

/// A big cost for hiding the grand total, so it is hidden only when nothing else helps.
const GRAND_TOTAL_COST: u64 = 1_000_000;

fn is_primary(value: u64) -> bool {
    (1..THRESHOLD).contains(&value)
}

/// The state a published number takes when it is hidden.
fn hidden_state(value: u64) -> State {
    if value < THRESHOLD {
        State::FewerThanFive
    } else {
        State::Hidden
    }
}

/// Whether `value + change` is still something the symbol of `state` allows.
fn allows(state: State, value: u64, change: i64) -> bool {
    let changed = value as i64 + change;
    match state {
        State::Published => change == 0,
        State::FewerThanFive => (0..THRESHOLD as i64).contains(&changed),
        State::Hidden => changed >= 0,
    }
}

fn shown(state: State, value: u64) -> Shown {
    match state {
        State::Published => Shown::Exact(value),
        State::FewerThanFive => Shown::FewerThanFive,
        State::Hidden => Shown::Hidden,
    }
}

/// The table with its totals as one grid of (rows + 1) × (columns + 1) numbers: the last row
/// holds the column totals, the last column the row totals, the corner the grand total.
struct Grid {
    rows: usize,
    columns: usize,
    values: Vec<Vec<u64>>,
    states: Vec<Vec<State>>,
}

impl Grid {
    fn new(cells: &[Vec<u64>], columns: usize) -> Self {
        let rows = cells.len();
        let mut values = vec![vec![0u64; columns + 1]; rows + 1];
        for (row, row_cells) in cells.iter().enumerate() {
            for (column, &value) in row_cells.iter().enumerate() {
                values[row][column] = value;
                values[row][columns] += value;
                values[rows][column] += value;
                values[rows][columns] += value;
            }
        }
        let states = values
            .iter()
            .map(|row| {
                row.iter()
                    .map(|&value| {
                        if is_primary(value) {
                            State::FewerThanFive
                        } else {
                            State::Published
                        }
                    })
                    .collect()
            })
            .collect();
        Self {
            rows,
            columns,
            values,
            states,
        }
    }

    fn is_grand_total(&self, row: usize, column: usize) -> bool {
        row == self.rows && column == self.columns
    }

    /// How a number moves when the rectangle's corner moves: a total moves against its cells
    /// (the grid's rows and columns add up to zero with totals counted negative), the grand
    /// total with them.
    fn sign(&self, row: usize, column: usize) -> i64 {
        if (row == self.rows) != (column == self.columns) {
            -1
        } else {
            1
        }
    }

    /// What hiding a published number costs: its size (a zero a little), more for a total.
    fn cost(&self, row: usize, column: usize) -> u64 {
        if self.states[row][column] != State::Published {
            return 0;
        }
        let value = self.values[row][column];
        if self.is_grand_total(row, column) {
            GRAND_TOTAL_COST
        } else if row == self.rows || column == self.columns {
            20 + 2 * value
        } else if value == 0 {
            2
        } else {
            value
        }
    }

    /// The cost of the cheapest rectangle with corners (`row`, `column`) and (`other_row`,
    /// `other_column`) that changes the first corner by one in either direction, or `None`.
    fn rectangle_cost(
        &self,
        (row, column): (usize, usize),
        (other_row, other_column): (usize, usize),
        policy: TotalPolicy,
    ) -> Option<u64> {
        let corners = [
            (row, column, 1),
            (row, other_column, -1),
            (other_row, other_column, 1),
            (other_row, column, -1),
        ];
        let grand_total_published = self.states[self.rows][self.columns] == State::Published;
        if policy == TotalPolicy::Fixed
            && grand_total_published
            && corners
                .iter()
                .any(|&(row, column, _)| self.is_grand_total(row, column))
        {
            return None;
        }
        let fits = |direction: i64| {
            corners.iter().all(|&(row, column, turn)| {
                let state = match self.states[row][column] {
                    State::Published => hidden_state(self.values[row][column]),
                    state => state,
                };
                allows(
                    state,
                    self.values[row][column],
                    direction * turn * self.sign(row, column),
                )
            })
        };
        if !fits(1) && !fits(-1) {
            return None;
        }
        Some(
            corners
                .iter()
                .map(|&(row, column, _)| self.cost(row, column))
                .sum(),
        )
    }

    /// Makes sure the primary number at (`row`, `column`) has a rectangle, hiding the cheapest
    /// one if needed. Returns whether anything was hidden, or `None` if no rectangle exists.
    fn protect(&mut self, row: usize, column: usize, policy: TotalPolicy) -> Option<bool> {
        let mut best: Option<(u64, usize, usize)> = None;
        for other_row in (0..=self.rows).filter(|&other| other != row) {
            for other_column in (0..=self.columns).filter(|&other| other != column) {
                if let Some(cost) =
                    self.rectangle_cost((row, column), (other_row, other_column), policy)
                    && best.is_none_or(|(best_cost, _, _)| cost < best_cost)
                {
                    best = Some((cost, other_row, other_column));
                }
            }
        }
        let (cost, other_row, other_column) = best?;
        if cost == 0 {
            return Some(false);
        }
        for (row, column) in [
            (row, other_column),
            (other_row, other_column),
            (other_row, column),
        ] {
            if self.states[row][column] == State::Published {
                self.states[row][column] = hidden_state(self.values[row][column]);
            }
        }
        Some(true)
    }
}

/// Publishes a table of `cells` (rows of equal length) with its totals, suppressing small
/// numbers as the module explains; `None` if it cannot be protected under `policy`.
pub fn protect_table(cells: &[Vec<u64>], policy: TotalPolicy) -> Option<ProtectedTable> {
    let columns = cells.first().map_or(0, Vec::len);
    let mut grid = Grid::new(cells, columns);
    if policy == TotalPolicy::Fixed && is_primary(grid.values[grid.rows][grid.columns]) {
        return None;
    }
    loop {
        let mut hid_more = false;
        for row in 0..=grid.rows {
            for column in 0..=grid.columns {
                if is_primary(grid.values[row][column]) {
                    hid_more |= grid.protect(row, column, policy)?;
                }
            }
        }
        if !hid_more {
            break;
        }
    }
    let at = |row: usize, column: usize| shown(grid.states[row][column], grid.values[row][column]);
    Some(ProtectedTable {
        cells: (0..grid.rows)
            .map(|row| (0..grid.columns).map(|column| at(row, column)).collect())
            .collect(),
        row_totals: (0..grid.rows).map(|row| at(row, grid.columns)).collect(),
        column_totals: (0..grid.columns)
            .map(|column| at(grid.rows, column))
            .collect(),
        total: at(grid.rows, grid.columns),
    })
}

/// Publishes one count per category and their total: a table of one column, whose row totals
/// would only repeat the counts. Two counts in the line (or a count and the total) move against
/// (with) each other, as a rectangle's corners do.
pub fn protect_line(counts: &[u64], policy: TotalPolicy) -> Option<ProtectedLine> {
    let total: u64 = counts.iter().sum();
    if policy == TotalPolicy::Fixed && is_primary(total) {
        return None;
    }
    let initial = |value: u64| {
        if is_primary(value) {
            State::FewerThanFive
        } else {
            State::Published
        }
    };
    // The total last, at index `counts.len()`.
    let values: Vec<u64> = counts.iter().copied().chain([total]).collect();
    let mut states: Vec<State> = values.iter().map(|&value| initial(value)).collect();
    let total_index = counts.len();
    let cost = |states: &[State], index: usize| -> u64 {
        if states[index] != State::Published {
            0
        } else if index == total_index {
            GRAND_TOTAL_COST
        } else if values[index] == 0 {
            2
        } else {
            values[index]
        }
    };
    loop {
        let mut hid_more = false;
        for index in 0..values.len() {
            if !is_primary(values[index]) {
                continue;
            }
            let mut best: Option<(u64, usize)> = None;
            for partner in (0..values.len()).filter(|&partner| partner != index) {
                if partner == total_index
                    && policy == TotalPolicy::Fixed
                    && states[total_index] == State::Published
                {
                    continue;
                }
                if index == total_index && policy == TotalPolicy::Fixed {
                    continue;
                }
                // Two counts move against each other; a count and the total move together.
                let partner_turn = if partner == total_index || index == total_index {
                    1
                } else {
                    -1
                };
                let state_of = |at: usize| match states[at] {
                    State::Published => hidden_state(values[at]),
                    state => state,
                };
                let fits = |direction: i64| {
                    allows(state_of(index), values[index], direction)
                        && allows(state_of(partner), values[partner], direction * partner_turn)
                };
                if !fits(1) && !fits(-1) {
                    continue;
                }
                let partner_cost = cost(&states, partner);
                if best.is_none_or(|(best_cost, _)| partner_cost < best_cost) {
                    best = Some((partner_cost, partner));
                }
            }
            let (partner_cost, partner) = best?;
            if partner_cost > 0 {
                states[partner] = hidden_state(values[partner]);
                hid_more = true;
            }
        }
        if !hid_more {
            break;
        }
    }
    Some(ProtectedLine {
        cells: (0..counts.len())
            .map(|index| shown(states[index], values[index]))
            .collect(),
        total: shown(states[total_index], total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a reader can learn of a hidden cell: every value it can take in some table that
    /// shows the same, found by trying every table of values up to `limit` for the hidden
    /// numbers (small tables only).
    fn possible_values(
        published: &ProtectedTable,
        rows: usize,
        columns: usize,
        limit: u64,
        target: (usize, usize),
    ) -> Vec<u64> {
        let hidden: Vec<(usize, usize)> = (0..rows)
            .flat_map(|row| (0..columns).map(move |column| (row, column)))
            .filter(|&(row, column)| published.cells[row][column].exact().is_none())
            .collect();
        // A "<5" can be 0 to 4, an "x" anything up to `limit`.
        let ranges: Vec<u64> = hidden
            .iter()
            .map(|&(row, column)| match published.cells[row][column] {
                Shown::FewerThanFive => 4,
                _ => limit,
            })
            .collect();
        let matches = |shown: Shown, value: u64| match shown {
            Shown::Exact(exact) => exact == value,
            Shown::FewerThanFive => value < 5,
            Shown::Hidden | Shown::Withheld => true,
        };
        let mut table = vec![vec![0u64; columns]; rows];
        for (row, cells_of_row) in table.iter_mut().enumerate() {
            for (column, cell) in cells_of_row.iter_mut().enumerate() {
                *cell = published.cells[row][column].exact().unwrap_or(0);
            }
        }
        let mut found = Vec::new();
        let mut values = vec![0u64; hidden.len()];
        loop {
            for (&(row, column), &value) in hidden.iter().zip(&values) {
                table[row][column] = value;
            }
            let fits = (0..rows)
                .all(|row| matches(published.row_totals[row], table[row].iter().sum()))
                && (0..columns).all(|column| {
                    matches(
                        published.column_totals[column],
                        (0..rows).map(|row| table[row][column]).sum(),
                    )
                })
                && matches(published.total, table.iter().flatten().sum());
            if fits {
                let value = table[target.0][target.1];
                if !found.contains(&value) {
                    found.push(value);
                }
            }
            // The next combination.
            let mut position = 0;
            loop {
                if position == values.len() {
                    found.sort_unstable();
                    return found;
                }
                values[position] += 1;
                if values[position] <= ranges[position] {
                    break;
                }
                values[position] = 0;
                position += 1;
            }
        }
    }

    fn assert_protected(cells: &[Vec<u64>], policy: TotalPolicy) -> ProtectedTable {
        let published = protect_table(cells, policy).expect("the table can be protected");
        let rows = cells.len();
        let columns = cells[0].len();
        for (row, cells_of_row) in cells.iter().enumerate() {
            for (column, &value) in cells_of_row.iter().enumerate() {
                match published.cells[row][column] {
                    Shown::Exact(exact) => assert_eq!(exact, value),
                    Shown::FewerThanFive => assert!(value < 5),
                    Shown::Hidden => {}
                    Shown::Withheld => panic!("nothing is withheld"),
                }
                if is_primary(value) {
                    assert_eq!(published.cells[row][column], Shown::FewerThanFive);
                    let possible = possible_values(&published, rows, columns, 12, (row, column));
                    assert!(
                        possible.len() > 1 && possible.contains(&value),
                        "cell ({row}, {column}) = {value} can only be {possible:?} in {published:?}"
                    );
                }
            }
        }
        for (row, cells_of_row) in cells.iter().enumerate() {
            let total: u64 = cells_of_row.iter().sum();
            if is_primary(total) {
                assert_eq!(published.row_totals[row], Shown::FewerThanFive);
            }
        }
        published
    }

    #[test]
    fn a_single_small_cell_takes_a_second_one_in_its_row_and_column() {
        let cells = vec![vec![2, 7, 9], vec![8, 6, 10], vec![11, 5, 12]];
        let published = assert_protected(&cells, TotalPolicy::Fixed);
        assert_eq!(published.cells[0][0], Shown::FewerThanFive);
        assert_eq!(published.total, Shown::Exact(70));
        let hidden_in_row = published.cells[0]
            .iter()
            .chain([&published.row_totals[0]])
            .filter(|shown| shown.exact().is_none())
            .count();
        assert!(hidden_in_row >= 2, "{published:?}");
        let hidden_in_column = (0..3)
            .map(|row| published.cells[row][0])
            .chain([published.column_totals[0]])
            .filter(|shown| shown.exact().is_none())
            .count();
        assert!(hidden_in_column >= 2, "{published:?}");
    }

    #[test]
    fn two_ones_in_a_row_are_not_given_back_by_the_row_total() {
        // Both 1: with the row total shown, "<5" meaning 1 to 4 would give them back.
        let cells = vec![vec![1, 1, 8], vec![6, 7, 9]];
        assert_protected(&cells, TotalPolicy::Fixed);
    }

    #[test]
    fn a_municipality_with_two_tips_and_sparse_tables_stay_protected() {
        let cells = vec![
            vec![1, 1, 0, 0],
            vec![0, 6, 0, 0],
            vec![0, 0, 0, 0],
            vec![3, 0, 0, 4],
        ];
        let published = assert_protected(&cells, TotalPolicy::Fixed);
        assert_eq!(published.row_totals[0], Shown::FewerThanFive);
        assert_eq!(published.total, Shown::Exact(15));
        let tiny = vec![vec![1, 0], vec![0, 2]];
        let published = assert_protected(&tiny, TotalPolicy::Free);
        assert_eq!(published.total, Shown::FewerThanFive);
        assert_eq!(protect_table(&tiny, TotalPolicy::Fixed), None);
    }

    #[test]
    fn tables_without_small_numbers_are_published_whole() {
        let cells = vec![vec![5, 0], vec![0, 12]];
        let published = protect_table(&cells, TotalPolicy::Fixed).unwrap();
        assert_eq!(
            published.cells,
            vec![
                vec![Shown::Exact(5), Shown::Exact(0)],
                vec![Shown::Exact(0), Shown::Exact(12)]
            ]
        );
        assert_eq!(published.total, Shown::Exact(17));
    }

    #[test]
    fn a_line_hides_a_partner_for_every_small_count() {
        let published = protect_line(&[9, 2, 0, 7], TotalPolicy::Fixed).unwrap();
        assert_eq!(published.total, Shown::Exact(18));
        assert_eq!(published.cells[1], Shown::FewerThanFive);
        let hidden = published
            .cells
            .iter()
            .filter(|shown| shown.exact().is_none())
            .count();
        assert_eq!(hidden, 2, "{published:?}");
        // Four ones under a total of 4: "<5" for the total would give them all back if "<5"
        // meant 1 to 4; it means 0 to 4, and the total moves with them.
        let published = protect_line(&[1, 1, 1, 1], TotalPolicy::Free).unwrap();
        assert_eq!(published.total, Shown::FewerThanFive);
        assert_eq!(protect_line(&[1, 1, 1, 1], TotalPolicy::Fixed), None);
        assert_eq!(
            protect_line(&[6, 0, 8], TotalPolicy::Fixed).unwrap().cells,
            vec![Shown::Exact(6), Shown::Exact(0), Shown::Exact(8)]
        );
    }
}
