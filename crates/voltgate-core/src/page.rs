//! Pagination of lists: page numbers from 1, at most 100 per page.

/// A requested page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u64 = 25;
    pub const MAX_PER_PAGE: u64 = 100;

    /// Clamps to the allowed range: page at least 1, per_page 1..=100.
    pub fn new(page: u64, per_page: u64) -> Self {
        Self {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.per_page
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::new(1, Self::DEFAULT_PER_PAGE)
    }
}

/// One page of results with the total count.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub request: PageRequest,
}

impl<T> Page<T> {
    pub fn last_page(&self) -> u64 {
        self.total.div_ceil(self.request.per_page).max(1)
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            request: self.request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_per_page_to_one_hundred_and_page_to_one() {
        let p = PageRequest::new(0, 1000);
        assert_eq!(
            p,
            PageRequest {
                page: 1,
                per_page: 100
            }
        );
        assert_eq!(PageRequest::new(3, 10).offset(), 20);
    }

    #[test]
    fn last_page_is_at_least_one() {
        let page: Page<u8> = Page {
            items: vec![],
            total: 0,
            request: PageRequest::default(),
        };
        assert_eq!(page.last_page(), 1);
        let page: Page<u8> = Page {
            items: vec![],
            total: 51,
            request: PageRequest::default(),
        };
        assert_eq!(page.last_page(), 3);
    }
}
