//! The `#[swill::rpc]` attribute. Use it through the `swill` crate, which
//! re-exports it and documents it with examples.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::{format_ident, quote};
use syn::{Expr, ExprLit, ItemFn, Lit, LitStr, Meta, parse_macro_input};

/// Turns an async fn into a swill handler registered with `App::handle(name)`.
///
/// The rpc is named after the function, or `#[swill::rpc(name = "users.get")]`;
/// the doc comment becomes the rpc's description in introspection.
#[proc_macro_attribute]
pub fn rpc(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut func = parse_macro_input!(item as ItemFn);
    let name = match rpc_name(attr.into(), &func) {
        Ok(name) => name,
        Err(e) => return e.to_compile_error().into(),
    };
    if func.sig.asyncness.is_none() {
        return syn::Error::new_spanned(func.sig.fn_token, "#[swill::rpc] needs an `async fn`")
            .to_compile_error()
            .into();
    }
    let description = doc_text(&func.attrs);
    let description = match description.is_empty() {
        true => quote!(::core::option::Option::None),
        false => quote!(::core::option::Option::Some(#description)),
    };

    // The marker keeps the function's name, docs and visibility, so that
    // `App::handle(add)` reads like registering the function itself; the
    // function moves to a hidden name beside it.
    let marker = func.sig.ident.clone();
    let vis = func.vis.clone();
    let docs: Vec<_> = func
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    let inner = format_ident!("__swill_rpc_{}", marker);
    func.sig.ident = inner.clone();
    func.attrs.push(syn::parse_quote!(#[doc(hidden)]));

    quote! {
        #func

        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        #vis struct #marker;

        impl ::swill::Rpc for #marker {
            fn register(self, app: ::swill::App) -> ::swill::App {
                app.handle_described(#name, #description, #inner)
            }
        }
    }
    .into()
}

/// Reads `name = "..."` from the attribute, defaulting to the fn's name.
fn rpc_name(attr: proc_macro2::TokenStream, func: &ItemFn) -> syn::Result<LitStr> {
    let default = LitStr::new(&func.sig.ident.to_string(), Span::call_site());
    if attr.is_empty() {
        return Ok(default);
    }
    match syn::parse2::<Meta>(attr)? {
        Meta::NameValue(nv) if nv.path.is_ident("name") => match nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Ok(s),
            other => Err(syn::Error::new_spanned(other, "expected a string literal")),
        },
        other => Err(syn::Error::new_spanned(
            other,
            "expected `name = \"...\"`, e.g. #[swill::rpc(name = \"users.get\")]",
        )),
    }
}

/// Joins the lines of the doc comment, without the space rustdoc puts first.
fn doc_text(attrs: &[syn::Attribute]) -> String {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .map(|line| {
            line.strip_prefix(' ')
                .unwrap_or(&line)
                .trim_end()
                .to_owned()
        })
        .collect();
    lines.join("\n").trim().to_owned()
}
