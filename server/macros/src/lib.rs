//! The `#[swill::rpc]` attribute. Use it through the `swill` crate, which
//! re-exports it and documents it with examples.

use proc_macro::TokenStream;
use proc_macro2::Span;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Expr, ExprLit, ItemFn, Lit, LitStr, Meta, parse_macro_input};

/// Records an async fn's rpc name and description for `App::handle`.
///
/// The function itself is left as written (it can still be called, in a
/// test say); beside it goes a record, keyed by its module and name, that
/// registration looks up. The rpc is named after the function, or
/// `#[swill::rpc(name = "users.get")]`; the doc comment becomes the rpc's
/// description in introspection.
#[proc_macro_attribute]
pub fn rpc(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func = parse_macro_input!(item as ItemFn);
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
    let ident = &func.sig.ident;
    let function = LitStr::new(&ident.unraw().to_string(), Span::call_site());
    // A function without generics is matched by its exact type name; a
    // generic one (whose type name needs its parameters) by module and name.
    let type_name = match func.sig.generics.params.is_empty() {
        true => quote!(::core::option::Option::Some({
            fn __swill_type_name() -> &'static str {
                ::core::any::type_name_of_val(&#ident)
            }
            __swill_type_name as fn() -> &'static str
        })),
        false => quote!(::core::option::Option::None),
    };
    let checks = type_checks(&func);

    quote! {
        #func

        #checks

        ::swill::__private::inventory::submit! {
            ::swill::__private::RpcInfo {
                type_name: #type_name,
                module: ::core::module_path!(),
                function: #function,
                name: #name,
                description: #description,
            }
        }
    }
    .into()
}

/// Assertions on the signature, so that a type missing a bound is named
/// where it is written, not deep in the `Handler` impls: the return type
/// must be an answer (`IntoReply`), a `Request<T>`'s `T` a message.
/// Generic functions are left alone.
fn type_checks(func: &ItemFn) -> proc_macro2::TokenStream {
    if !func.sig.generics.params.is_empty() {
        return quote!();
    }
    let mut checks = Vec::new();
    // The whole return type must be an answer (`impl Trait` cannot be
    // named here, so those are left to `App::handle`).
    if let syn::ReturnType::Type(_, ty) = &func.sig.output
        && !quote!(#ty).to_string().contains("impl")
    {
        checks.push(quote_spanned! {ty.span()=>
            ::swill::__private::answer_type::<#ty, _>();
        });
    }
    for input in &func.sig.inputs {
        if let syn::FnArg::Typed(arg) = input {
            for wrapper in ["Request", "StreamingRequest"] {
                if let Some(message) = generic_arg(&arg.ty, wrapper, 0) {
                    checks.push(quote_spanned! {message.span()=>
                        ::swill::__private::request_type::<#message>();
                    });
                }
            }
        }
    }
    if checks.is_empty() {
        return quote!();
    }
    quote! {
        const _: fn() = || { #(#checks)* };
    }
}

/// The `index`th type argument of `ty` when its last path segment is
/// `wrapper` (`Result<T, E>`, `swill::Request<T>`).
fn generic_arg<'a>(ty: &'a syn::Type, wrapper: &str, index: usize) -> Option<&'a syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(index)
        .filter(|t| !matches!(t, syn::Type::ImplTrait(_) | syn::Type::Infer(_)))
}

/// Reads `name = "..."` from the attribute, defaulting to the fn's name.
fn rpc_name(attr: proc_macro2::TokenStream, func: &ItemFn) -> syn::Result<LitStr> {
    let default = LitStr::new(&func.sig.ident.unraw().to_string(), Span::call_site());
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
